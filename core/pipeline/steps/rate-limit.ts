import type { Step } from '../compose.ts';
import type { Authenticated } from './authenticate.ts';

/**
 * Token-bucket limits per user, shared by every process through Redis, arrive with the identity issue.
 * The step holds its place in the order now so that limits are checked before anything is stored or paid for.
 */
export function rateLimit(): Step<Authenticated> {
  return {
    name: 'rate-limit',
    async run(_ctx, next) {
      await next();
    },
  };
}
