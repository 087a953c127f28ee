import pino from 'pino';
import { afterAll, beforeAll } from 'vitest';
import type { InboundJob } from '../../core/contracts/job.ts';
import type { RedisClient } from '../../queue/connection.ts';
import { createRedisClient, InboundQueue, redisDeliveryRecords, StreamRelay } from '../../queue/index.ts';
import { startFakeTelegram } from '../../test/fakes/fake-telegram.ts';
import { waitUntil } from '../../test/helpers/processes.ts';
import { useTestRedis } from '../../test/helpers/redis.ts';
import { describeAdapterConformance, type ConformanceCase } from '../kit/conformance.ts';
import fixtures from './__fixtures__/updates.json' with { type: 'json' };
import { startTelegramAdapter } from './telegram-adapter.ts';

const redisServer = useTestRedis();
let redis: RedisClient;
let subscriber: RedisClient;
let queue: InboundQueue;
beforeAll(() => {
  redis = createRedisClient(redisServer.url);
  subscriber = createRedisClient(redisServer.url);
  queue = new InboundQueue(redisServer.url);
});
afterAll(async () => {
  await queue.close();
  redis.disconnect();
  subscriber.disconnect();
});

describeAdapterConformance({
  platform: 'telegram',
  cases: fixtures.cases as ConformanceCase[],
  maxMessageLength: 4096,
  async start() {
    await redis.flushall();
    const telegram = await startFakeTelegram({ token: `${fixtures.bot.id}:conformance-token`, username: fixtures.bot.username });
    const relay = new StreamRelay(redis, subscriber);
    const jobs: InboundJob[] = [];
    const adapter = await startTelegramAdapter({
      token: telegram.token,
      apiRoot: telegram.apiRoot,
      jwtKey: new TextEncoder().encode('conformance-key-conformance-key-32'),
      enqueue: async (job) => {
        const queued = await queue.enqueue(job);
        jobs.push(queued);
        return queued;
      },
      records: redisDeliveryRecords(redis),
      subscribe: (jobId, signal) => relay.subscribe(jobId, { signal }),
      log: pino({ level: 'silent' }),
      pollTimeoutSeconds: 1,
    });
    return {
      async deliver(event) {
        const updateId = telegram.push(event as Record<string, unknown>);
        if (!(await waitUntil(() => telegram.confirmed(updateId), 10_000))) throw new Error(`update ${updateId} was never confirmed`);
      },
      jobs: () => jobs,
      deliverReply: (reply) => adapter.deliver(reply),
      shown: (chat) => telegram.messages(Number(chat.id)).map((message) => message.visible),
      async close() {
        await adapter.close();
        await telegram.close();
      },
    };
  },
});
