import type { BucketLevel, BucketSpec, OnceWithin, TakeResult, TokenBuckets } from '../core/limits/token-buckets.ts';
import type { RedisClient } from './connection.ts';

// Redis's clock, in fractional ms, so every process refills by the same time.
const nowMs = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000`;

// One hash per bucket: tokens (fractional) and the time they were counted. ARGV: capacity, ms per
// token, cost, for each key in order. Returns allowed (1/0), the wait in ms (-1: never), then
// remaining and reset for each bucket. Numbers go back as strings: Lua's would be truncated.
const takeScript = `
  ${nowMs}
  local levels, wait = {}, 0
  for i = 1, #KEYS do
    local capacity, perToken, cost = tonumber(ARGV[i * 3 - 2]), tonumber(ARGV[i * 3 - 1]), tonumber(ARGV[i * 3])
    local saved = redis.call('HMGET', KEYS[i], 'tokens', 'at')
    local tokens = tonumber(saved[1]) or capacity
    local at = tonumber(saved[2]) or now
    tokens = math.min(capacity, tokens + math.max(0, now - at) / perToken)
    levels[i] = tokens
    if cost > capacity then wait = -1
    elseif tokens < cost and wait >= 0 then wait = math.max(wait, (cost - tokens) * perToken) end
  end
  local result = {wait == 0 and 1 or 0, tostring(math.ceil(wait))}
  for i = 1, #KEYS do
    local capacity, perToken, cost = tonumber(ARGV[i * 3 - 2]), tonumber(ARGV[i * 3 - 1]), tonumber(ARGV[i * 3])
    local tokens = levels[i]
    if wait == 0 then tokens = tokens - cost end
    local reset = math.ceil((capacity - tokens) * perToken)
    redis.call('HSET', KEYS[i], 'tokens', tostring(tokens), 'at', tostring(now))
    redis.call('PEXPIRE', KEYS[i], reset + 1000)
    table.insert(result, tostring(math.max(0, math.floor(tokens))))
    table.insert(result, tostring(reset))
  end
  return result
`;

// ARGV: capacity, ms per token, delta. Debt is bounded at one capacity: a wildly wrong estimate
// cannot lock a user out for longer than one period.
const adjustScript = `
  ${nowMs}
  local capacity, perToken, delta = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
  local saved = redis.call('HMGET', KEYS[1], 'tokens', 'at')
  local tokens = tonumber(saved[1]) or capacity
  local at = tonumber(saved[2]) or now
  tokens = math.max(-capacity, math.min(capacity, math.min(capacity, tokens + math.max(0, now - at) / perToken) - delta))
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
  redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) * perToken) + 1000)
  return 1
`;

type BucketCommands = {
  takeTokens(...keysAndArgs: (string | number)[]): Promise<[number, string, ...string[]]>;
  adjustTokens(key: string, capacity: number, perToken: number, delta: number): Promise<number>;
};

const minute = 60_000;
const msPerToken = ({ capacity, periodMs = minute }: Omit<BucketSpec, 'cost'>) => periodMs / capacity;
const redisKey = (key: string) => `gw:rl:${key}`;

/**
 * Token buckets in Redis: each take is one Lua script, so processes on any number of machines draw
 * from the same buckets and a limit holds exactly, not once per replica. Keys are used as given; put a
 * `{hash tag}` in them so the buckets of one take share a Redis Cluster slot.
 */
export class RedisTokenBuckets implements TokenBuckets {
  readonly #redis: RedisClient & BucketCommands;

  constructor(redis: RedisClient) {
    if (!('takeTokens' in redis)) {
      redis.defineCommand('takeTokens', { lua: takeScript });
      redis.defineCommand('adjustTokens', { numberOfKeys: 1, lua: adjustScript });
    }
    this.#redis = redis as RedisClient & BucketCommands;
  }

  async take(buckets: BucketSpec[]): Promise<TakeResult> {
    if (buckets.length === 0) return { allowed: true, buckets: [] };
    const args = buckets.flatMap((bucket) => [bucket.capacity, msPerToken(bucket), bucket.cost]);
    const [allowed, wait, ...levels] = await this.#redis.takeTokens(buckets.length, ...buckets.map((b) => redisKey(b.key)), ...args);
    const states: BucketLevel[] = buckets.map((bucket, i) => ({
      key: bucket.key,
      limit: bucket.capacity,
      remaining: Number(levels[i * 2]),
      resetMs: Number(levels[i * 2 + 1]),
    }));
    return allowed === 1 ? { allowed: true, buckets: states } : { allowed: false, retryAfterMs: Number(wait) < 0 ? null : Number(wait), buckets: states };
  }

  async adjust(bucket: Omit<BucketSpec, 'cost'>, delta: number): Promise<void> {
    if (delta === 0) return;
    await this.#redis.adjustTokens(redisKey(bucket.key), bucket.capacity, msPerToken(bucket), delta);
  }
}

/** OnceWithin on Redis (SET NX PX): one winner across every process. */
export function redisOnceWithin(redis: RedisClient): OnceWithin {
  return {
    async claim(key, ttlMs) {
      return (await redis.set(`gw:once:${key}`, '1', 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX')) === 'OK';
    },
  };
}
