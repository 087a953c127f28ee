import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { useTestRedis } from '../test/helpers/redis.ts';
import { RedisCircuitStore } from './circuit-store.ts';
import { createRedisClient, type RedisClient } from './connection.ts';

const redis = useTestRedis();
let workerA: RedisClient;
let workerB: RedisClient;
beforeAll(() => {
  workerA = createRedisClient(redis.url);
  workerB = createRedisClient(redis.url);
});
afterAll(() => {
  workerA.disconnect();
  workerB.disconnect();
});

let n = 0;
const freshKey = () => `test/model-${(n += 1)}`;

describe('RedisCircuitStore', () => {
  it('opens after consecutive failures, for every worker at once, then probes once and closes on success', async () => {
    const options = { consecutiveFailures: 3, cooldownMs: 300, probeTimeoutMs: 5000 };
    const a = new RedisCircuitStore(workerA, options);
    const b = new RedisCircuitStore(workerB, options);
    const key = freshKey();
    expect(await a.permit(key)).toEqual({ allowed: true, state: 'closed' });
    expect(await a.record(key, 'failure')).toBe('closed');
    expect(await a.record(key, 'failure')).toBe('closed');
    expect(await a.record(key, 'failure')).toBe('open');

    const denied = await b.permit(key);
    expect(denied.allowed).toBe(false);
    expect(denied.allowed === false && denied.retryInMs).toBeGreaterThan(200);
    expect(await b.state(key)).toMatchObject({ state: 'open' });

    await sleep(350);
    expect(await b.state(key)).toMatchObject({ state: 'half-open' });
    expect(await b.permit(key)).toEqual({ allowed: true, state: 'half-open' });
    expect((await a.permit(key)).allowed).toBe(false); // one probe at a time
    expect(await b.record(key, 'success')).toBe('closed');
    expect(await a.permit(key)).toEqual({ allowed: true, state: 'closed' });
  });

  it('with a subscriber, remembers a closed circuit and forgets it the moment another process opens it', async () => {
    const subscriberA = createRedisClient(redis.url);
    const subscriberB = createRedisClient(redis.url);
    const options = { consecutiveFailures: 1, cooldownMs: 60_000, closedCacheMs: 60_000 };
    const a = new RedisCircuitStore(workerA, { ...options, subscriber: subscriberA });
    const b = new RedisCircuitStore(workerB, { ...options, subscriber: subscriberB });
    const key = freshKey();
    await vi.waitFor(async () => {
      // Remembered only once subscribed; then a call to a closed circuit sends nothing to Redis.
      expect(await b.permit(key)).toEqual({ allowed: true, state: 'closed' });
      const sent = await commandCount(workerB);
      await b.permit(key);
      expect(await commandCount(workerB)).toBe(sent + 1); // the INFO itself
    });
    expect(await a.record(key, 'failure')).toBe('open');
    await vi.waitFor(async () => expect((await b.permit(key)).allowed).toBe(false), { timeout: 1000, interval: 1 });
    subscriberA.disconnect();
    subscriberB.disconnect();
  });

  it('reopens when the probe fails', async () => {
    const store = new RedisCircuitStore(workerA, { consecutiveFailures: 1, cooldownMs: 100 });
    const key = freshKey();
    expect(await store.record(key, 'failure')).toBe('open');
    await sleep(150);
    expect(await store.permit(key)).toEqual({ allowed: true, state: 'half-open' });
    expect(await store.record(key, 'failure')).toBe('open');
    expect((await store.permit(key)).allowed).toBe(false);
  });

  it('opens on a failure ratio even without consecutive failures', async () => {
    const store = new RedisCircuitStore(workerA, { consecutiveFailures: 100, minCalls: 4, failureRatio: 0.5 });
    const key = freshKey();
    expect(await store.record(key, 'success')).toBe('closed');
    expect(await store.record(key, 'failure')).toBe('closed');
    expect(await store.record(key, 'success')).toBe('closed');
    expect(await store.record(key, 'failure')).toBe('open');
  });

  it('a success resets the consecutive count', async () => {
    const store = new RedisCircuitStore(workerA, { consecutiveFailures: 2, minCalls: 100 });
    const key = freshKey();
    await store.record(key, 'failure');
    await store.record(key, 'success');
    expect(await store.record(key, 'failure')).toBe('closed');
    expect(await store.state(key)).toEqual({ state: 'closed', consecutiveFailures: 1 });
  });
});

/** Commands this connection has sent, by Redis's own count (CLIENT INFO's `tot-cmds`; Redis 7.0+). */
async function commandCount(client: RedisClient): Promise<number> {
  const info = (await client.call('CLIENT', 'INFO')) as string;
  return Number(info.match(/tot-cmds=(\d+)/)?.[1] ?? Number.NaN);
}
