import { GatewayError } from '../../errors/gateway-error.ts';
import { roleForNewIdentity, type AccessMode } from '../../identity/access-policy.ts';
import { usable } from '../../identity/api-keys.ts';
import { verifyJobToken, type JobIdentity } from '../../identity/tokens.ts';
import type { ApiKey, ExternalIdentity, Store, User } from '../../store/store.ts';
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
  /** Identities that are admins whatever the store says (ADMIN_USERS). Default: none. */
  adminUsers?: readonly ExternalIdentity[];
  /** The role a new chat identity starts with. Default: `pairing` (pending until an admin approves). */
  accessMode?: AccessMode;
}

/** Identities through which an API key acts: `http` / `key:<id>`. */
const keyIdOf = (identity: JobIdentity) => (identity.platform === 'http' && identity.externalId.startsWith('key:') ? identity.externalId.slice(4) : undefined);

/**
 * Verifies the identity token the adapter minted for this job, then maps the external identity to the
 * internal user. A job injected into Redis by anything else has no valid token and goes no further.
 * A job made with an API key is checked against the key again here: revoked a moment ago is revoked.
 */
export function authenticate({ store, jwtKey, adminUsers = [], accessMode = 'pairing' }: AuthenticateServices): Step<JobContext, Authenticated> {
  const admins = new Set(adminUsers.map(({ platform, externalId }) => `${platform}:${externalId}`));
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
      ctx.identity = identity;
      // ADMIN_USERS is authoritative for the identities it names: they are admins, made so on sight.
      const listed = admins.has(`${identity.platform}:${identity.externalId}`);
      const role = listed ? 'admin' : (identity.role ?? roleForNewIdentity(identity.platform, accessMode));
      const user = await store.resolveUser(identity, { role });
      if (listed && user.role !== 'admin') await store.setRole(user.id, 'admin');
      ctx.user = listed ? { ...user, role: 'admin' } : user;
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
