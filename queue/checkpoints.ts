import { GatewayError } from '../core/errors/gateway-error.ts';
import type { Checkpoints } from '../core/pipeline/context.ts';
import type { RedisClient } from './connection.ts';

/** Kept as long as completed jobs are kept for deduplication, so a late retry still finds them. */
const ttlMs = 24 * 3600 * 1000;

/**
 * Per-job results of steps that must not repeat on a retry, in one Redis hash per job. The hash is read
 * once, at once, when the attempt starts: the read leaves with the attempt's first commands and its
 * answer is in hand by the time a step asks, so no step waits a round trip for it.
 */
export function redisCheckpoints(redis: RedisClient, jobId: string): Checkpoints {
  const key = `gw:ckpt:{${jobId}}`;
  const saved = unavailableIfFails(() => redis.hgetall(key));
  saved.catch(() => {}); // Surfaces from the first once() that needs it.
  let expiring = false;
  return {
    async once<T>(name: string, work: () => Promise<T>, { fresh = false }: { fresh?: boolean } = {}): Promise<T> {
      const earlier = fresh ? undefined : (await saved)[name];
      if (earlier !== undefined) return JSON.parse(earlier) as T;
      const result = await work();
      // Not awaited: the job's next commands (the reply among them) leave in the same write, after
      // this one. Should it fail, a retry pays again, as it would had the job stopped here. No MULTI:
      // ioredis writes a transaction command by command, and the expiry, set by the attempt's first
      // write, needs no atomicity with it.
      redis.hset(key, name, JSON.stringify(result)).catch(() => {});
      if (!expiring) {
        expiring = true;
        redis.pexpire(key, ttlMs).catch(() => (expiring = false));
      }
      return result;
    },
  };
}

/** A Redis failure here is transient: the job is retried, not answered with an error. */
async function unavailableIfFails<T>(command: () => Promise<T>): Promise<T> {
  try {
    return await command();
  } catch (error) {
    throw new GatewayError('queue_unavailable', 'Redis is unavailable; the job will be retried.', { cause: error });
  }
}
