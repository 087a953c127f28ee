import type { CircuitBreakerStore, CircuitState } from '../core/models/with-circuit-breaker.ts';
import type { RedisClient } from './connection.ts';

export interface CircuitOptions {
  /** Consecutive failures that open the circuit. Default: 5. */
  consecutiveFailures?: number;
  /** The window for the failure ratio. Default: 30 000 ms. */
  windowMs?: number;
  /** Calls in the window before the ratio counts. Default: 10. */
  minCalls?: number;
  /** Failure ratio that opens the circuit. Default: 0.5. */
  failureRatio?: number;
  /** How long an open circuit skips its model before one probe. Default: 30 000 ms. */
  cooldownMs?: number;
  /** How long one probe may hold the half-open circuit before another is let through. Default: 30 000 ms. */
  probeTimeoutMs?: number;
  /**
   * A connection this store may put in subscribe mode. With it, a closed circuit is remembered in
   * process for up to `closedCacheMs`, and every process forgets it the moment any one opens it (a
   * message on `gw:circuits`): calls to a healthy provider then skip a Redis round trip each. Without
   * it, every call asks Redis.
   */
  subscriber?: RedisClient;
  /** Default: 1 000 ms, the bound on staleness should an invalidation message be lost in a reconnect. */
  closedCacheMs?: number;
}

const changedChannel = 'gw:circuits';

// Redis's clock, not each worker's, so every worker agrees when a cool-down ends.
const nowMs = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

const permitScript = `
  ${nowMs}
  local state = redis.call('HGET', KEYS[1], 'state') or 'closed'
  if state == 'closed' then return {1, 'closed'} end
  local openUntil = tonumber(redis.call('HGET', KEYS[1], 'openUntil') or '0')
  if state == 'open' and now < openUntil then return {0, openUntil - now} end
  local probeUntil = tonumber(redis.call('HGET', KEYS[1], 'probeUntil') or '0')
  if now < probeUntil then return {0, probeUntil - now} end
  redis.call('HSET', KEYS[1], 'state', 'half-open', 'probeUntil', now + tonumber(ARGV[1]))
  return {1, 'half-open'}
`;

const recordScript = `
  ${nowMs}
  local threshold, windowMs, minCalls, ratio, cooldown = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
  local state = redis.call('HGET', KEYS[1], 'state') or 'closed'
  redis.call('PEXPIRE', KEYS[1], 86400000)
  local function open()
    redis.call('HSET', KEYS[1], 'state', 'open', 'openUntil', now + cooldown, 'consecutive', 0, 'calls', 0, 'failures', 0, 'windowStart', now)
    redis.call('HDEL', KEYS[1], 'probeUntil')
    redis.call('PUBLISH', '${changedChannel}', ARGV[7])
    return 'open'
  end
  if ARGV[1] == 'success' then
    if state ~= 'closed' then
      redis.call('HSET', KEYS[1], 'state', 'closed', 'consecutive', 0, 'calls', 0, 'failures', 0, 'windowStart', now)
      redis.call('HDEL', KEYS[1], 'probeUntil', 'openUntil')
      return 'closed'
    end
  elseif state ~= 'closed' then
    return open()
  end
  if now - tonumber(redis.call('HGET', KEYS[1], 'windowStart') or '0') > windowMs then
    redis.call('HSET', KEYS[1], 'calls', 0, 'failures', 0, 'windowStart', now)
  end
  local calls = redis.call('HINCRBY', KEYS[1], 'calls', 1)
  if ARGV[1] == 'success' then
    redis.call('HSET', KEYS[1], 'consecutive', 0)
    return 'closed'
  end
  local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
  local consecutive = redis.call('HINCRBY', KEYS[1], 'consecutive', 1)
  if consecutive >= threshold or (calls >= minCalls and failures / calls >= ratio) then return open() end
  return 'closed'
`;

const stateScript = `
  ${nowMs}
  local values = redis.call('HMGET', KEYS[1], 'state', 'openUntil', 'consecutive')
  return {values[1] or 'closed', tonumber(values[2] or '0') - now, tonumber(values[3] or '0')}
`;

type CircuitCommands = {
  circuitPermit(key: string, probeTimeoutMs: string): Promise<[number, string | number]>;
  circuitRecord(key: string, ...args: string[]): Promise<CircuitState>;
  circuitState(key: string): Promise<[CircuitState, number, number]>;
};

/** Circuit state in Redis, one hash per provider/model, shared by every worker and HTTP process. */
export class RedisCircuitStore implements CircuitBreakerStore {
  readonly #redis: RedisClient & CircuitCommands;
  readonly #options: Required<Omit<CircuitOptions, 'subscriber'>>;
  /** Keys known closed, until when; filled only while subscribed to invalidations. */
  readonly #closed = new Map<string, number>();
  #subscribed = false;
  /** Counts invalidations, so a permit answered before one but read after it is not remembered. */
  #invalidations = 0;

  constructor(redis: RedisClient, options: CircuitOptions = {}) {
    // Defined commands run by EVALSHA: two of them per model call, and sending the script text each
    // time cost Redis more than the work inside it.
    if (!('circuitPermit' in redis)) {
      redis.defineCommand('circuitPermit', { numberOfKeys: 1, lua: permitScript });
      redis.defineCommand('circuitRecord', { numberOfKeys: 1, lua: recordScript });
      redis.defineCommand('circuitState', { numberOfKeys: 1, lua: stateScript });
    }
    this.#redis = redis as RedisClient & CircuitCommands;
    const {
      consecutiveFailures = 5,
      windowMs = 30_000,
      minCalls = 10,
      failureRatio = 0.5,
      cooldownMs = 30_000,
      probeTimeoutMs = 30_000,
      subscriber,
      closedCacheMs = 1_000,
    } = options;
    this.#options = { consecutiveFailures, windowMs, minCalls, failureRatio, cooldownMs, probeTimeoutMs, closedCacheMs };
    if (subscriber) this.#listen(subscriber);
  }

  #listen(subscriber: RedisClient) {
    subscriber.on('message', (channel: string, key: string) => {
      if (channel !== changedChannel) return;
      this.#invalidations += 1;
      this.#closed.delete(key);
    });
    // While not subscribed (connecting, reconnecting) nothing is remembered, so nothing goes stale.
    const forget = () => {
      this.#invalidations += 1;
      this.#subscribed = false;
      this.#closed.clear();
    };
    const subscribe = () => subscriber.subscribe(changedChannel).then(() => (this.#subscribed = true), forget);
    subscriber.on('close', forget);
    subscriber.on('ready', subscribe);
    if (subscriber.status === 'ready') subscribe();
  }

  async permit(key: string) {
    const now = Date.now();
    if ((this.#closed.get(key) ?? 0) > now) return { allowed: true as const, state: 'closed' as const };
    const invalidations = this.#invalidations;
    const [allowed, detail] = await this.#redis.circuitPermit(circuitHashKey(key), String(this.#options.probeTimeoutMs));
    if (allowed === 1 && detail === 'closed' && this.#subscribed && invalidations === this.#invalidations) {
      this.#closed.set(key, now + this.#options.closedCacheMs);
    }
    return allowed === 1 ? { allowed: true as const, state: detail as CircuitState } : { allowed: false as const, retryInMs: Number(detail) };
  }

  async record(key: string, outcome: 'success' | 'failure') {
    const { consecutiveFailures, windowMs, minCalls, failureRatio, cooldownMs } = this.#options;
    const args = [outcome, consecutiveFailures, windowMs, minCalls, failureRatio, cooldownMs, key].map(String);
    if (outcome === 'failure') this.#closed.delete(key);
    const state = await this.#redis.circuitRecord(circuitHashKey(key), ...args);
    if (state !== 'closed') this.#closed.delete(key);
    return state;
  }

  async state(key: string) {
    const [state, openFor, consecutive] = await this.#redis.circuitState(circuitHashKey(key));
    // An open circuit whose cool-down is over lets the next call probe: it is half-open in effect.
    if (state === 'open' && openFor <= 0) return { state: 'half-open' as const, consecutiveFailures: consecutive };
    return state === 'open' ? { state, consecutiveFailures: consecutive, retryInMs: openFor } : { state, consecutiveFailures: consecutive };
  }
}

const circuitHashKey = (key: string) => `gw:circuit:{${key}}`;
