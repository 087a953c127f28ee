import { UnrecoverableError } from 'bullmq';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Reply } from '../core/contracts/reply.ts';
import type { JobRunner } from '../core/pipeline/run-job.ts';
import { httpJob, okReply } from '../test/helpers/jobs.ts';
import { useTestRedis } from '../test/helpers/redis.ts';
import { waitUntil } from '../test/helpers/processes.ts';
import { InboundQueue } from './inbound-queue.ts';
import { startOutboundWorker, type OutboundWorker } from './outbound.ts';
import { startInboundWorker, type InboundWorker } from './worker.ts';

const redis = useTestRedis();
const log = pino({ level: 'silent' });
let queue: InboundQueue;
const stops: (InboundWorker | OutboundWorker)[] = [];

beforeAll(() => {
  queue = new InboundQueue(redis.url);
});
afterEach(async () => {
  await Promise.all(stops.splice(0).map((worker) => worker.close()));
});
afterAll(async () => {
  await queue.close();
});

/** Answers each message with its own text, as a Telegram reply, noting when each job ran. */
function echo(events: string[]): JobRunner {
  return async (data) => {
    const job = data as { id: string; requestId: string; conversationId: string; input: { messages: { content: string }[] } };
    const text = job.input.messages[0]?.content ?? '';
    events.push(`run ${text}`);
    return okReply(job, text, { adapter: 'telegram', chat: { id: '42' } });
  };
}

/**
 * An inbound worker running `echo` and a Telegram outbound worker posting with `post` (default: noting
 * `posted <text>`); returns the events, in order.
 */
async function start({ parkMs, post }: { parkMs: number; post?: (text: string, events: string[]) => void }) {
  const events: string[] = [];
  stops.push(await startInboundWorker({ redisUrl: redis.url, runJob: echo(events), log, concurrency: 4, order: { parkMs } }));
  const deliver = async (reply: Reply) => (post ?? ((text) => void events.push(`posted ${text}`)))(textOf(reply), events);
  stops.push(await startOutboundWorker({ redisUrl: redis.url, platform: 'telegram', log, deliver }));
  return events;
}

/** Posting `text` fails the first time (a platform error, Redis restarting): BullMQ retries it after 1 s. */
function failingOnce(text: string) {
  const state = { failures: 0 };
  const post = (posted: string, events: string[]) => {
    if (posted === text && state.failures++ === 0) throw new Error('502 from the platform');
    events.push(`posted ${posted}`);
  };
  return { state, post };
}

const textOf = (reply: Reply) => (reply.status === 'ok' ? reply.message.content : reply.error.code);

describe('chat replies and conversation order', () => {
  it("posts a conversation's answers in order when posting one fails and is retried: the next message waits for it", async () => {
    const { state, post } = failingOnce('first');
    const events = await start({ parkMs: 5000, post });

    for (const text of ['first', 'second']) await queue.enqueue(await httpJob({ platform: 'telegram', conversationId: 'telegram:42', text }));
    await waitUntil(() => events.includes('posted second'), 10_000);

    expect(events).toEqual(['run first', 'posted first', 'run second', 'posted second']);
    expect(state.failures).toBe(2); // the second call is the retry, which posted
  });

  it('keeps a finished job at the head of its conversation while its answer waits to be posted again', async () => {
    const { state, post } = failingOnce('first');
    const events = await start({ parkMs: 300, post });

    await queue.enqueue(await httpJob({ platform: 'telegram', conversationId: 'telegram:43', text: 'first' }));
    // The next message arrives once the first job is done but its answer is not yet posted (retry in 1 s).
    await waitUntil(() => state.failures === 1, 10_000);
    await queue.enqueue(await httpJob({ platform: 'telegram', conversationId: 'telegram:43', text: 'second' }));
    await waitUntil(() => events.includes('posted second'), 10_000);

    expect(events).toEqual(['run first', 'posted first', 'run second', 'posted second']);
  });

  it('lets the next message run at once when the answer before it was posted, with no wait for the park timeout', async () => {
    const events = await start({ parkMs: 5000 });

    const started = Date.now();
    for (const text of ['one', 'two', 'three']) await queue.enqueue(await httpJob({ platform: 'telegram', conversationId: 'telegram:7', text }));
    await waitUntil(() => events.includes('posted three'), 10_000);

    expect(events).toEqual(['run one', 'posted one', 'run two', 'posted two', 'run three', 'posted three']);
    // Woken by the outbound worker's release, not by the 5 s park timeout.
    expect(Date.now() - started).toBeLessThan(2500);
  });

  it('lets the conversation go on when posting an answer is given up for good', async () => {
    const events = await start({
      parkMs: 5000,
      post: (text, noted) => {
        // No more attempts (as after the last of its retries): the failed handler releases the place.
        if (text === 'lost') throw new UnrecoverableError('the chat is gone');
        noted.push(`posted ${text}`);
      },
    });

    const started = Date.now();
    for (const text of ['lost', 'next']) await queue.enqueue(await httpJob({ platform: 'telegram', conversationId: 'telegram:9', text }));
    await waitUntil(() => events.includes('posted next'), 10_000);

    expect(events).toEqual(['run lost', 'run next', 'posted next']);
    expect(Date.now() - started).toBeLessThan(2500);
  });
});
