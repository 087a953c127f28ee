import { GatewayError } from '../../errors/gateway-error.ts';
import type { Step } from '../compose.ts';
import type { Authenticated } from './authenticate.ts';

/** Blocked users get a refusal. Per-command permissions join here with the identity issue. */
export function authorize(): Step<Authenticated> {
  return {
    name: 'authorize',
    async run(ctx, next) {
      if (ctx.user.role === 'blocked') {
        throw new GatewayError('forbidden', 'Your access to this assistant has been blocked by an administrator.');
      }
      await next();
    },
  };
}
