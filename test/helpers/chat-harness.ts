import pino from 'pino';
import { afterAll, beforeAll } from 'vitest';
import type { ChatAdapterParts, ChatPlatform } from '../../adapters/kit/chat-adapter.ts';
import type { InboundJob } from '../../core/contracts/job.ts';
import type { RedisClient } from '../../queue/connection.ts';
import { createRedisClient, InboundQueue, redisDeliveryRecords, redisInteractionTokens, StreamRelay } from '../../queue/index.ts';
import { useTestRedis } from './redis.ts';

/**
 * What a chat adapter runs on in a test file, as the platform gives it: the real inbound queue, stream
 * relay, delivery records and interaction tokens, on the file's private Redis.
 */
export function useChatHarness(platform: ChatPlatform) {
  const redisServer = useTestRedis();
  let redis: RedisClient;
  let subscriber: RedisClient;
  let queue: InboundQueue;
  beforeAll(() => {
    redis = createRedisClient(redisServer.url);
    subscriber = createRedisClient(redisServer.url);
    subscriber.setMaxListeners(0); // a relay per adapter started in the file
    queue = new InboundQueue(redisServer.url);
  });
  afterAll(async () => {
    await queue.close();
    redis.disconnect();
    subscriber.disconnect();
  });
  return {
    /** Everything emptied, and parts for a new adapter; `jobs` are those it queued, in order. */
    async fresh(): Promise<{ parts: ChatAdapterParts; jobs: InboundJob[] }> {
      await redis.flushall();
      const relay = new StreamRelay(redis, subscriber);
      const jobs: InboundJob[] = [];
      const parts: ChatAdapterParts = {
        jwtKey: new TextEncoder().encode('conformance-key-conformance-key-32'),
        enqueue: async (job) => {
          const queued = await queue.enqueue(job);
          jobs.push(queued);
          return queued;
        },
        records: redisDeliveryRecords(redis),
        tokens: redisInteractionTokens(redis, platform),
        subscribe: (jobId, signal) => relay.subscribe(jobId, { signal }),
        log: pino({ level: 'silent' }),
      };
      return { parts, jobs };
    },
  };
}
