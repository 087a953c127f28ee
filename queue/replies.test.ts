import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OkReply } from '../core/contracts/reply.ts';
import { useTestRedis } from '../test/helpers/redis.ts';
import { createRedisClient, type RedisClient } from './connection.ts';
import { deliverReply, ReplyWaiter } from './replies.ts';

const redis = useTestRedis();
let replies: ReplyWaiter;
let publisher: RedisClient;
beforeAll(async () => {
  replies = new ReplyWaiter(redis.url);
  await replies.ready();
  publisher = createRedisClient(redis.url);
});
afterAll(async () => {
  publisher.disconnect();
  await replies.close();
});

let jobs = 0;
const reply = (): OkReply => ({
  v: 1,
  jobId: `http-replies-${++jobs}`,
  requestId: 'req_1',
  conversationId: `http-replies-${jobs}`,
  replyTo: { adapter: 'http', address: replies.address },
  createdAt: new Date().toISOString(),
  status: 'ok',
  message: { role: 'assistant', content: 'Hi' },
  model: 'm',
  finishReason: 'stop',
  usage: { inputTokens: 1, outputTokens: 1 },
});

describe('ReplyWaiter', () => {
  it('takes a reply from a worker in this process directly, without Redis', async () => {
    // A client that cannot reach Redis: the reply can only arrive in-process.
    const nowhere = createRedisClient('redis://127.0.0.1:1');
    nowhere.on('error', () => {});
    try {
      const answer = reply();
      const waiting = replies.awaitReply(answer.jobId, { timeoutMs: 2000 });
      deliverReply(nowhere, replies.address, { jobId: answer.jobId, reply: answer });
      await expect(waiting).resolves.toEqual(answer);
    } finally {
      nowhere.disconnect();
    }
  });

  it('reads a reply published by a worker in another process, and refuses one that is not a reply', async () => {
    const answer = reply();
    const waiting = replies.awaitReply(answer.jobId, { timeoutMs: 2000 });
    await publisher.publish(`gw:replies:{${replies.address}}`, JSON.stringify({ jobId: answer.jobId, reply: answer }));
    await expect(waiting).resolves.toEqual(answer);

    const broken = reply();
    const refused = replies.awaitReply(broken.jobId, { timeoutMs: 2000 });
    await publisher.publish(`gw:replies:{${replies.address}}`, JSON.stringify({ jobId: broken.jobId, reply: { ...broken, status: 'maybe' } }));
    await expect(refused).rejects.toMatchObject({ code: 'internal_error', message: 'The reply could not be read.' });
  });
});
