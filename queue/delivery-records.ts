import type { DeliveryRecords } from '../adapters/kit/delivery-records.ts';
import type { RedisClient } from './connection.ts';

/** As long as the queue remembers a job, so a redelivery within that window finds what was sent. */
const ttlMs = 24 * 3600 * 1000;

// Read and claim in one step, so two processes holding the same reply cannot both send a part. A part
// whose send certainly failed is free to claim again.
const claimScript = `
  local earlier = redis.call('HGET', KEYS[1], ARGV[1])
  if earlier and earlier ~= 'failed' then return earlier end
  redis.call('HSET', KEYS[1], ARGV[1], 'sending')
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return false
`;

/** Delivery records in one Redis hash per job. */
export function redisDeliveryRecords(redis: RedisClient): DeliveryRecords {
  const key = (jobId: string) => `gw:dlv:{${jobId}}`;
  return {
    async claim(jobId, part) {
      const earlier = (await redis.eval(claimScript, 1, key(jobId), part, String(ttlMs))) as string | null;
      return earlier ?? undefined;
    },
    async record(jobId, part, value) {
      await redis.multi().hset(key(jobId), part, value).pexpire(key(jobId), ttlMs).exec();
    },
    read: (jobId) => redis.hgetall(key(jobId)),
  };
}
