import { randomUUID } from 'node:crypto';
import { streamPartSchema, isTerminal, type StreamPart } from '../core/contracts/stream-part.ts';
import type { RedisClient } from './connection.ts';

/**
 * Relays a job's stream parts from the worker that answers it to whichever adapter process relays
 * them, through Redis.
 *
 * Why Redis Streams plus a notification, and not pub/sub alone: pub/sub forgets, so a subscriber that
 * attaches late or reconnects would miss the start. Each job's parts are appended to a stream (kept
 * for `ttlMs`), so anyone can read a reply from its first part; a PUBLISH of each appended part wakes
 * live subscribers without a blocking connection per subscriber. A subscriber subscribes first, then
 * reads what is already there, and drops duplicates by entry id, so nothing is missed or doubled.
 *
 * Backpressure: a subscription buffers at most `maxBuffered` live parts; beyond that it drops them and
 * reads them back from the stream when its consumer is ready. The stream is the buffer, not memory.
 */
export interface StreamRelayOptions {
  /** How long a job's parts stay readable. Default: 1 hour. */
  ttlMs?: number;
  /** Live parts a slow subscriber may hold in memory before falling back to reading Redis. Default: 256. */
  maxBuffered?: number;
}

export interface RelayedPart {
  /** The Redis stream entry id: a cursor to resume after. */
  id: string;
  part: StreamPart;
}

// Each entry names its publisher and that publisher's sequence number. When Redis's answer is lost to a
// dropped connection (a Redis restart), ioredis sends the append again, in order with any others in
// flight; one the stream's tail shows as appended already is not appended twice (a doubled delta).
const appendScript = `
  local tail = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
  if tail and tail[2][3] == 'w' and tail[2][4] == ARGV[4] and tonumber(tail[2][6]) >= tonumber(ARGV[5]) then return tail[1] end
  local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[3], '*', 'p', ARGV[1], 'w', ARGV[4], 'n', ARGV[5])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  redis.call('PUBLISH', KEYS[2], id .. ' ' .. ARGV[1])
  return id
`;

const streamKey = (jobId: string) => `gw:stream:{${jobId}}`;
const channel = (jobId: string) => `gw:stream-live:{${jobId}}`;
/** Far beyond any answer, so nothing a late reader needs is trimmed; only a runaway stream is cut. */
const maxEntries = 200_000;

/** Stream entry ids are `<ms>-<seq>`; compares them in order. */
function after(a: string, b: string): boolean {
  const [am = 0n, as = 0n] = a.split('-').map(BigInt);
  const [bm = 0n, bs = 0n] = b.split('-').map(BigInt);
  return am > bm || (am === bm && as > bs);
}

type Listener = (id: string, raw: string) => void;

export class StreamRelay {
  readonly #redis: RedisClient;
  readonly #subscriber: RedisClient;
  readonly #ttlMs: number;
  readonly #maxBuffered: number;
  readonly #listeners = new Map<string, { listeners: Set<Listener>; subscribed: Promise<unknown> }>();
  readonly #publisher = randomUUID();
  #sequence = 0;

  /** `redis` runs commands; `subscriber` is a dedicated connection this relay puts in subscribe mode. */
  constructor(redis: RedisClient, subscriber: RedisClient, options: StreamRelayOptions = {}) {
    const { ttlMs = 3_600_000, maxBuffered = 256 } = options;
    this.#redis = redis;
    this.#subscriber = subscriber;
    this.#ttlMs = ttlMs;
    this.#maxBuffered = maxBuffered;
    this.#subscriber.on('message', (name: string, message: string) => {
      const space = message.indexOf(' ');
      for (const listener of this.#listeners.get(name)?.listeners ?? []) listener(message.slice(0, space), message.slice(space + 1));
    });
  }

  /**
   * Appends one part. Calls are sent in order on one connection, so a caller may fire them without
   * waiting; awaiting the returned promise waits for Redis to have it.
   */
  publish(jobId: string, part: StreamPart): Promise<string> {
    return this.#redis.eval(appendScript, 2, streamKey(jobId), channel(jobId), JSON.stringify(part), String(this.#ttlMs), String(maxEntries), this.#publisher, String((this.#sequence += 1))) as Promise<string>;
  }

  /**
   * The job's parts from the start (or after the entry `afterId`), live as they are published, ending
   * after the first `finish` or `error` part, when `signal` aborts, or when the consumer stops.
   */
  async *subscribe(jobId: string, { afterId = '0-0', signal }: { afterId?: string; signal?: AbortSignal } = {}): AsyncGenerator<RelayedPart> {
    const name = channel(jobId);
    let lastId = afterId;
    let live: RelayedPart[] = [];
    let overflowed = false;
    let wake: (() => void) | undefined;
    const listener: Listener = (id, raw) => {
      if (overflowed) return;
      const parsed = streamPartSchema.safeParse(JSON.parse(raw));
      if (!parsed.success) return;
      live.push({ id, part: parsed.data });
      if (live.length > this.#maxBuffered) {
        overflowed = true;
        live = [];
      }
      wake?.();
    };
    const onAbort = () => wake?.();
    signal?.addEventListener('abort', onAbort);
    await this.#listen(name, listener);
    try {
      // Read what is stored (all of it at first, and whatever live parts were dropped when overflowing),
      // then what arrives live; entries already seen are skipped by id.
      let catchUp = true;
      while (!signal?.aborted) {
        let batch: RelayedPart[];
        if (catchUp) {
          overflowed = false;
          batch = await this.#read(jobId, lastId);
          catchUp = batch.length === 500;
        } else {
          if (overflowed) {
            catchUp = true;
            continue;
          }
          batch = live;
          live = [];
        }
        for (const entry of batch) {
          if (!after(entry.id, lastId)) continue;
          lastId = entry.id;
          yield entry;
          if (isTerminal(entry.part)) return;
        }
        if (!catchUp && live.length === 0 && !overflowed) {
          await new Promise<void>((resolve) => {
            wake = resolve;
            if (signal?.aborted) resolve();
          });
          wake = undefined;
        }
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      await this.#unlisten(name, listener);
    }
  }

  async #read(jobId: string, fromId: string): Promise<RelayedPart[]> {
    const entries = await this.#redis.xrange(streamKey(jobId), `(${fromId}`, '+', 'COUNT', 500);
    return entries.flatMap(([id, fields]) => {
      const parsed = streamPartSchema.safeParse(JSON.parse(fields[1] ?? 'null'));
      return parsed.success ? [{ id, part: parsed.data }] : [];
    });
  }

  /** Resolves once Redis confirms the subscription, so a catch-up read after it cannot miss a part. */
  async #listen(name: string, listener: Listener) {
    let channelState = this.#listeners.get(name);
    if (!channelState) {
      channelState = { listeners: new Set(), subscribed: this.#subscriber.subscribe(name) };
      this.#listeners.set(name, channelState);
    }
    channelState.listeners.add(listener);
    await channelState.subscribed;
  }

  async #unlisten(name: string, listener: Listener) {
    const channelState = this.#listeners.get(name);
    channelState?.listeners.delete(listener);
    if (channelState?.listeners.size === 0) {
      this.#listeners.delete(name);
      await this.#subscriber.unsubscribe(name).catch(() => {});
    }
  }
}
