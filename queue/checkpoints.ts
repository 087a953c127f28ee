import type { Checkpoints } from '../core/pipeline/context.ts';
import type { RedisClient } from './connection.ts';

/** Kept as long as completed jobs are kept for deduplication, so a late retry still finds them. */
const ttlMs = 24 * 3600 * 1000;

/** Per-job results of steps that must not repeat on a retry, in one Redis hash per job. */
export function redisCheckpoints(redis: RedisClient, jobId: string): Checkpoints {
  const key = `gw:ckpt:{${jobId}}`;
  return {
    async once<T>(name: string, work: () => Promise<T>): Promise<T> {
      const saved = await redis.hget(key, name);
      if (saved !== null) return JSON.parse(saved) as T;
      const result = await work();
      await redis.multi().hset(key, name, JSON.stringify(result)).pexpire(key, ttlMs).exec();
      return result;
    },
  };
}
