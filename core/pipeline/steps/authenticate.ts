import { GatewayError } from '../../errors/gateway-error.ts';
import { verifyJobToken, type JobIdentity } from '../../identity/tokens.ts';
import type { ExternalIdentity, Store, User } from '../../store/store.ts';
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
export function authenticate({ store, jwtKey, adminUsers = [] }: { store: Store; jwtKey: Uint8Array; adminUsers?: readonly ExternalIdentity[] }): Step<JobContext, Authenticated> {
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
      const user = await store.resolveUser(identity, { role: listed ? 'admin' : (identity.role ?? 'user') });
      if (listed && user.role !== 'admin') await store.setRole(user.id, 'admin');
      ctx.user = listed ? { ...user, role: 'admin' } : user;
      await next();
    },
  };
}
