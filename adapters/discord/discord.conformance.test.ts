import pino from 'pino';
import { afterAll, beforeAll } from 'vitest';
import type { InboundJob } from '../../core/contracts/job.ts';
import type { RedisClient } from '../../queue/connection.ts';
import { createRedisClient, InboundQueue, redisDeliveryRecords, redisInteractionTokens, StreamRelay } from '../../queue/index.ts';
import { startFakeDiscord } from '../../test/fakes/fake-discord.ts';
import { waitUntil } from '../../test/helpers/processes.ts';
import { useTestRedis } from '../../test/helpers/redis.ts';
import { describeAdapterConformance, type ConformanceCase } from '../kit/conformance.ts';
import fixtures from './__fixtures__/events.json' with { type: 'json' };
import { startDiscordAdapter } from './discord-adapter.ts';

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
  platform: 'discord',
  cases: fixtures.cases as ConformanceCase[],
  maxMessageLength: 2000,
  async start() {
    await redis.flushall();
    const discord = await startFakeDiscord({ botId: fixtures.bot.id, username: fixtures.bot.username });
    const relay = new StreamRelay(redis, subscriber);
    const jobs: InboundJob[] = [];
    const handled: string[] = [];
    const adapter = await startDiscordAdapter({
      token: discord.token,
      apiUrl: discord.apiUrl,
      channels: [fixtures.openChannel],
      jwtKey: new TextEncoder().encode('conformance-key-conformance-key-32'),
      enqueue: async (job) => {
        const queued = await queue.enqueue(job);
        jobs.push(queued);
        return queued;
      },
      records: redisDeliveryRecords(redis),
      tokens: redisInteractionTokens(redis, 'discord'),
      subscribe: (jobId, signal) => relay.subscribe(jobId, { signal }),
      log: pino({ level: 'silent' }),
      onEvent: (outcome) => handled.push(outcome.eventId),
    });
    return {
      async deliver(event) {
        const { t, d } = event as { t: string; d: Record<string, unknown> };
        const count = () => handled.filter((id) => id === d.id).length;
        const before = count();
        await discord.dispatch(t, d);
        if (!(await waitUntil(() => count() > before, 10_000))) throw new Error(`event ${String(d.id)} was never handled`);
      },
      jobs: () => jobs,
      deliverReply: (reply) => adapter.deliver(reply),
      shown: (chat) => discord.messages(chat.id).map((message) => message.visible),
      async close() {
        await adapter.close();
        await discord.close();
      },
    };
  },
});
