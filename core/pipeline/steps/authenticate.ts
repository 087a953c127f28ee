import { GatewayError } from '../../errors/gateway-error.ts';
import { verifyJobToken, type JobIdentity } from '../../identity/tokens.ts';
import type { Store, User } from '../../store/store.ts';
import type { Step } from '../compose.ts';
import type { JobContext } from '../context.ts';

export interface Authenticated {
  identity: JobIdentity;
  user: User;
}

/**
 * Verifies the identity token the adapter minted for this job, then maps the external identity to the
 * internal user. A job injected into Redis by anything else has no valid token and goes no further.
 */
export function authenticate({ store, jwtKey }: { store: Store; jwtKey: Uint8Array }): Step<JobContext, Authenticated> {
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
      ctx.user = await store.resolveUser(identity, { role: identity.role ?? 'user' });
      await next();
    },
  };
}
