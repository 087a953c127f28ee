import { randomUUID } from 'node:crypto';
import type { DeliveryRecords } from '../adapters/kit/delivery-records.ts';
import type { RedisClient } from './connection.ts';

/** As long as the queue remembers a job, so a redelivery within that window finds what was sent. */
const ttlMs = 24 * 3600 * 1000;

// Read and claim in one step, so two processes holding the same reply cannot both send a part. A part
// whose send certainly failed is free to claim again. Each claim carries its own token: when Redis's
// answer is lost to a dropped connection (a Redis restart), ioredis sends the claim again, and the
// claimer must know the claim as its own, not take it for another's and leave the part unsent.
const claimScript = `
  local earlier = redis.call('HGET', KEYS[1], ARGV[1])
  if earlier == ARGV[3] then return false end
  if earlier and earlier ~= 'failed' then return earlier end
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return false
`;

/** Delivery records in one Redis hash per job. */
export function redisDeliveryRecords(redis: RedisClient): DeliveryRecords {
  const key = (jobId: string) => `gw:dlv:{${jobId}}`;
  return {
    async claim(jobId, part) {
      const earlier = (await redis.eval(claimScript, 1, key(jobId), part, String(ttlMs), `sending:${randomUUID()}`)) as string | null;
      return earlier ?? undefined;
    },
    async record(jobId, part, value) {
      await redis.multi().hset(key(jobId), part, value).pexpire(key(jobId), ttlMs).exec();
    },
    read: (jobId) => redis.hgetall(key(jobId)),
  };
}
