import pino from 'pino';
import { Telegram } from 'telegraf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OkReply } from '../../core/contracts/reply.ts';
import { createRedisClient, type RedisClient } from '../../queue/connection.ts';
import { redisDeliveryRecords } from '../../queue/delivery-records.ts';
import { startFakeTelegram, type FakeTelegram } from '../../test/fakes/fake-telegram.ts';
import { useTestRedis } from '../../test/helpers/redis.ts';
import { telegramTransport } from '../telegram/telegram-transport.ts';
import { ReplyDelivery } from './deliver-reply.ts';

const redisServer = useTestRedis();
let redis: RedisClient;
let telegram: FakeTelegram;
let delivery: ReplyDelivery;
const log = pino({ level: 'silent' });

beforeAll(async () => {
  redis = createRedisClient(redisServer.url);
  telegram = await startFakeTelegram();
  const transport = telegramTransport(new Telegram(telegram.token, { apiRoot: telegram.apiRoot }));
  delivery = new ReplyDelivery({ transport, records: redisDeliveryRecords(redis), log, maxAgeMs: 60_000 });
});
afterAll(async () => {
  redis.disconnect();
  await telegram.close();
});

let jobs = 0;
const reply = (chat: number, content: string, ageMs = 0): OkReply => ({
  v: 1,
  jobId: `telegram-1-${++jobs}`,
  requestId: 'req_1',
  conversationId: `telegram-${chat}`,
  replyTo: { adapter: 'telegram', chat: { id: String(chat), messageId: '7' } },
  createdAt: new Date(Date.now() - ageMs).toISOString(),
  status: 'ok',
  message: { role: 'assistant', content },
  model: 'm',
  finishReason: 'stop',
  usage: { inputTokens: 1, outputTokens: 1 },
});

describe('ReplyDelivery', () => {
  it('posts a reply once however often it is delivered, even by two deliverers at once', async () => {
    const answer = reply(1, `${'A paragraph of text. '.repeat(150)}\n\n${'Another one. '.repeat(300)}`);
    await Promise.all([delivery.deliver(answer), delivery.deliver(answer)]);
    await delivery.deliver(answer);
    const messages = telegram.messages(1);
    expect(messages).toHaveLength(2);
    expect(messages[0]!.replyTo).toBe(7);
  });

  it('does not replay a reply that went stale during an outage, and records why', async () => {
    const old = reply(2, 'Too late now', 61_000);
    await delivery.deliver(old);
    expect(telegram.messages(2)).toEqual([]);
    expect(await redisDeliveryRecords(redis).read(old.jobId)).toEqual({ p0: 'stale' });
  });

  it('gives a live message the final text by one edit instead of posting again', async () => {
    const answer = reply(3, 'The **final** text');
    const records = redisDeliveryRecords(redis);
    const transport = telegramTransport(new Telegram(telegram.token, { apiRoot: telegram.apiRoot }));
    const draft = await transport.send({ id: '3' }, 'The fin');
    await records.claim(answer.jobId, 'p0');
    await records.record(answer.jobId, 'p0', `draft:${draft}`);
    await delivery.deliver(answer);
    expect(telegram.messages(3)).toMatchObject([{ visible: 'The final text', text: 'The <b>final</b> text', edits: 1 }]);
    expect((await records.read(answer.jobId)).p0).toBe(`sent:${draft}`);
  });

  it('retries a send Telegram refused with a server error, and posts it once', async () => {
    const answer = reply(4, 'After a hiccup');
    telegram.failNext('sendMessage', { error_code: 502, description: 'Bad Gateway' });
    await expect(delivery.deliver(answer)).rejects.toMatchObject({ code: 'platform_unavailable' });
    await delivery.deliver(answer); // the queue's next attempt
    expect(telegram.messages(4).map((message) => message.visible)).toEqual(['After a hiccup']);
  });

  it('never re-sends a part whose send may have landed (its claim left mid-way), and says so', async () => {
    const answer = reply(5, 'Maybe sent');
    await redisDeliveryRecords(redis).claim(answer.jobId, 'p0'); // a process died between claim and record
    const quick = new ReplyDelivery({ transport: telegramTransport(new Telegram(telegram.token, { apiRoot: telegram.apiRoot })), records: redisDeliveryRecords(redis), log, claimWaitMs: 300 });
    await quick.deliver(answer);
    expect(telegram.messages(5)).toEqual([]);
  });
});
