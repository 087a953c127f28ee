import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestRedis } from '../test/helpers/redis.ts';
import { createRedisClient, type RedisClient } from './connection.ts';
import { RedisTokenBuckets } from './token-buckets.ts';

const redis = useTestRedis();
let client: RedisClient;
let buckets: RedisTokenBuckets;
beforeAll(() => {
  client = createRedisClient(redis.url);
  buckets = new RedisTokenBuckets(client);
});
afterAll(() => client.disconnect());

let n = 0;
const fresh = (name: string) => `{test-${(n += 1)}}:${name}`;

describe('RedisTokenBuckets', () => {
  it('takes from every bucket or from none, and says how long to wait', async () => {
    const requests = { key: fresh('requests'), capacity: 5, cost: 1 };
    const tokens = { key: requests.key.replace('requests', 'tokens'), capacity: 100, cost: 60 };
    const first = await buckets.take([requests, tokens]);
    expect(first).toMatchObject({ allowed: true, buckets: [{ limit: 5, remaining: 4 }, { limit: 100, remaining: 40 }] });
    // Requests are left, tokens are not: refused, and the request bucket keeps its 4.
    const second = await buckets.take([requests, tokens]);
    expect(second.allowed).toBe(false);
    // 20 more tokens at 100 a minute take 12 s.
    expect(second.allowed === false && second.retryAfterMs).toBeGreaterThan(11_900);
    expect(second.allowed === false && second.retryAfterMs).toBeLessThanOrEqual(12_000);
    expect(second.buckets[0]!.remaining).toBe(4);
    expect((await buckets.take([{ ...requests, cost: 4 }])).allowed).toBe(true);
    expect((await buckets.take([requests])).allowed).toBe(false);
  });

  it('refills continuously, by fractions of a token', async () => {
    const bucket = { key: fresh('requests'), capacity: 20, periodMs: 1000, cost: 1 }; // one token per 50 ms
    for (let i = 0; i < 20; i += 1) expect((await buckets.take([bucket])).allowed).toBe(true);
    const empty = await buckets.take([bucket]);
    expect(empty).toMatchObject({ allowed: false, buckets: [{ remaining: 0 }] });
    expect(empty.allowed === false && empty.retryAfterMs).toBeLessThanOrEqual(50);
    await sleep(80); // 1.6 tokens
    expect((await buckets.take([bucket])).allowed).toBe(true);
    const after = await buckets.take([bucket]);
    expect(after.allowed).toBe(false);
    // About 0.6 of a token is left, so the next whole one is under 50 ms away, not a whole period.
    expect(after.allowed === false && after.retryAfterMs).toBeLessThan(50);
    expect(after.buckets[0]!.resetMs).toBeLessThanOrEqual(1000);
  });

  it('refuses for good a cost larger than the whole bucket', async () => {
    const result = await buckets.take([{ key: fresh('tokens'), capacity: 100, cost: 101 }]);
    expect(result).toMatchObject({ allowed: false, retryAfterMs: null, buckets: [{ remaining: 100 }] });
  });

  it('adjusts after the fact: debt is waited out, an overestimate is given back', async () => {
    const bucket = { key: fresh('tokens'), capacity: 1000 };
    await buckets.take([{ ...bucket, cost: 100 }]);
    await buckets.adjust(bucket, 1500); // the answer cost 1,600, not 100: 600 in debt, 601 to wait for
    const inDebt = await buckets.take([{ ...bucket, cost: 1 }]);
    expect(inDebt.allowed === false && inDebt.retryAfterMs).toBeGreaterThan(36_000);
    expect(inDebt.allowed === false && inDebt.retryAfterMs).toBeLessThanOrEqual(36_060);
    await buckets.adjust(bucket, 10_000); // debt is bounded at one capacity: at most one period to wait
    const bounded = await buckets.take([{ ...bucket, cost: 1 }]);
    expect(bounded.allowed === false && bounded.retryAfterMs).toBeGreaterThan(60_000);
    expect(bounded.allowed === false && bounded.retryAfterMs).toBeLessThanOrEqual(60_060);

    const other = { key: fresh('tokens'), capacity: 1000 };
    await buckets.take([{ ...other, cost: 900 }]);
    await buckets.adjust(other, -850);
    expect((await buckets.take([{ ...other, cost: 900 }])).allowed).toBe(true);
  });
});
