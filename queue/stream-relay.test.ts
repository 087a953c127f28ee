import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamPart } from '../core/contracts/stream-part.ts';
import { startLossyRedisProxy } from '../test/helpers/lossy-redis-proxy.ts';
import { useTestRedis } from '../test/helpers/redis.ts';
import { redisCheckpoints } from './checkpoints.ts';
import { Cancellation } from './cancellation.ts';
import { createRedisClient, type RedisClient } from './connection.ts';
import { StreamRelay, type RelayedPart } from './stream-relay.ts';

const redis = useTestRedis();
const clients: RedisClient[] = [];
const client = () => {
  const created = createRedisClient(redis.url);
  clients.push(created);
  return created;
};
let worker: StreamRelay;
let adapter: StreamRelay;
beforeAll(() => {
  // Two processes' worth: the worker publishes, the adapter subscribes, each on its own connections.
  worker = new StreamRelay(client(), client());
  adapter = new StreamRelay(client(), client());
});
afterAll(() => clients.forEach((c) => c.disconnect()));

let n = 0;
const jobId = () => `job-${(n += 1)}`;
const text = (delta: string): StreamPart => ({ type: 'text', delta });
const finish: StreamPart = { type: 'finish', finishReason: 'stop', usage: { inputTokens: 1, outputTokens: 2 } };

async function collect(source: AsyncIterable<RelayedPart>, onPart?: (entry: RelayedPart) => Promise<void>) {
  const parts: RelayedPart[] = [];
  for await (const entry of source) {
    parts.push(entry);
    await onPart?.(entry);
  }
  return parts;
}
const deltas = (parts: RelayedPart[]) => parts.map(({ part }) => (part.type === 'text' ? part.delta : part.type));

describe('StreamRelay', () => {
  it('appends a part once when its answer is lost to a dropped connection and ioredis sends it again', async () => {
    const proxy = await startLossyRedisProxy(redis.server.port);
    const lossy = createRedisClient(proxy.url);
    try {
      const publisher = new StreamRelay(lossy, client());
      const id = jobId();
      await publisher.publish(id, text('a'));
      proxy.loseAnswerTo(/"delta":"b"/);
      void publisher.publish(id, text('b'));
      void publisher.publish(id, text('c'));
      await publisher.publish(id, finish);
      expect(deltas(await collect(adapter.subscribe(id)))).toEqual(['a', 'b', 'c', 'finish']);
      // Nothing doubled past the end either, where a reader stops looking.
      expect(await client().xlen(`gw:stream:{${id}}`)).toBe(4);
    } finally {
      lossy.disconnect();
      await proxy.close();
    }
  });

  it('delivers live parts in order and ends at the terminal part', async () => {
    const id = jobId();
    const reading = collect(adapter.subscribe(id));
    await sleep(50);
    for (const delta of ['a', 'b', 'c']) void worker.publish(id, text(delta));
    await worker.publish(id, finish);
    void worker.publish(id, text('after the end'));
    expect(deltas(await reading)).toEqual(['a', 'b', 'c', 'finish']);
  });

  it('gives a late subscriber the reply from its start, then the rest live', async () => {
    const id = jobId();
    await worker.publish(id, { type: 'start', model: 'm', created: 1 });
    await worker.publish(id, text('early'));
    const reading = collect(adapter.subscribe(id));
    await sleep(50);
    await worker.publish(id, text('late'));
    await worker.publish(id, finish);
    expect(deltas(await reading)).toEqual(['start', 'early', 'late', 'finish']);
  });

  it('resumes after a given entry, for a client that reconnects', async () => {
    const id = jobId();
    const ids = [];
    for (const delta of ['1', '2', '3']) ids.push(await worker.publish(id, text(delta)));
    await worker.publish(id, finish);
    expect(deltas(await collect(adapter.subscribe(id, { afterId: ids[1] })))).toEqual(['3', 'finish']);
  });

  it('keeps a slow consumer’s memory bounded, and still delivers every part in order', async () => {
    const small = new StreamRelay(client(), client(), { maxBuffered: 4 });
    const id = jobId();
    const expected = Array.from({ length: 60 }, (_, i) => String(i));
    const reading = collect(small.subscribe(id), () => sleep(5));
    await sleep(50);
    for (const delta of expected) void worker.publish(id, text(delta));
    await worker.publish(id, finish);
    expect(deltas(await reading)).toEqual([...expected, 'finish']);
  });

  it('stops when its signal aborts', async () => {
    const controller = new AbortController();
    const reading = collect(adapter.subscribe(jobId(), { signal: controller.signal }));
    await sleep(30);
    controller.abort();
    expect(await reading).toEqual([]);
  });

  it('lets its keys expire', async () => {
    const id = jobId();
    await worker.publish(id, text('x'));
    const ttl = await client().pttl(`gw:stream:{${id}}`);
    expect(ttl).toBeGreaterThan(3_500_000);
    expect(ttl).toBeLessThanOrEqual(3_600_000);
  });
});

describe('Cancellation', () => {
  it('aborts a running job in another process, and refuses one cancelled before it ran', async () => {
    const workerRedis = client();
    const workerSide = new Cancellation(workerRedis, client());
    const adapterSide = new Cancellation(client(), client());
    const running = await workerSide.watch('job-running');
    expect(running.signal.aborted).toBe(false);
    await adapterSide.cancel('job-running');
    await sleep(50);
    expect(running.signal.aborted).toBe(true);
    expect(running.signal.reason).toMatchObject({ code: 'cancelled', retryable: false });

    await adapterSide.cancel('job-early');
    const early = await workerSide.watch('job-early');
    // Not awaited by watch(): aborted by the time the job's next command on that connection answers.
    await redisCheckpoints(workerRedis, 'job-early').once('infer', async () => 'paid');
    expect(early.signal.aborted).toBe(true);
    running.release();
    early.release();
  });
});
