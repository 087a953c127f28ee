import { GatewayError } from '../../errors/gateway-error.ts';
import type { Accounts } from '../../identity/accounts.ts';
import { usable } from '../../identity/api-keys.ts';
import { isKeySubject, verifyJobToken, type JobIdentity } from '../../identity/tokens.ts';
import type { ApiKey, Store, User } from '../../store/store.ts';
import type { Step } from '../compose.ts';
import type { JobContext } from '../context.ts';

export interface Authenticated {
  identity: JobIdentity;
  user: User;
  /** The API key the HTTP request came with, if it came with one. */
  apiKey: ApiKey | undefined;
}

export interface AuthenticateServices {
  store: Store;
  jwtKey: Uint8Array;
  /** Maps identities to users (ADMIN_USERS, ACCESS_MODE). */
  accounts: Accounts;
}

/** Identities through which an API key acts: `http` / `key:<id>`. */
const keyIdOf = (identity: JobIdentity) => (identity.platform === 'http' && isKeySubject(identity.externalId) ? identity.externalId.slice(4) : undefined);

/**
 * Verifies the identity token the adapter minted for this job, then maps the external identity to the
 * internal user. A job injected into Redis by anything else has no valid token and goes no further.
 * A job made with an API key is checked against the key again here: revoked a moment ago is revoked.
 */
export function authenticate({ store, jwtKey, accounts }: AuthenticateServices): Step<JobContext, Authenticated> {
  return {
    name: 'authenticate',
    async run(ctx, next) {
      let identity;
      try {
        identity = verifyJobToken(jwtKey, ctx.job.identityToken, ctx.job.id);
      } catch (error) {
        throw new GatewayError('job_unauthenticated', 'The job carries no valid identity token.', { cause: error });
      }
      if (identity.platform !== ctx.job.source.platform) {
        throw new GatewayError('job_unauthenticated', 'The identity token was minted for another platform.');
      }
      // Every adapter answers on its own platform: a job that would send the reply elsewhere was not made by one.
      if (ctx.job.replyTo.adapter !== identity.platform) {
        throw new GatewayError('job_unauthenticated', 'The job sends its reply to another platform than the one its identity token was minted for.');
      }
      ctx.identity = identity;
      ctx.user = await accounts.resolve(identity, { handle: ctx.job.source.handle });
      const keyId = keyIdOf(identity);
      // The user is known from here on, so a refusal below is answered, not dropped.
      const apiKey = keyId === undefined ? undefined : await store.getApiKey(keyId);
      if (keyId !== undefined && !apiKey) throw new GatewayError('invalid_api_key', 'The API key no longer exists.');
      if (apiKey) usable(apiKey);
      ctx.apiKey = apiKey;
      await next();
    },
  };
}
