import type { Job, Queue } from 'bullmq';
import type { RedisClient } from './connection.ts';

/**
 * One conversation, one message at a time, in arrival order, on open-source BullMQ (whose group-keyed
 * ordering is a Pro feature).
 *
 * Each conversation has a sorted set of its unfinished job ids, scored by arrival. Only the head may run.
 * A worker that picks up any other job parks it as a delayed job (no attempt is spent, no slot is held);
 * when the head finishes (a chat reply: once it is posted), it leaves the set and promotes the next head.
 * Parked jobs also wake on their own after `parkMs`, and a head whose job is finished (and its answer
 * posted) or gone is skipped, so a lost promotion or a crash between steps costs latency, never progress.
 *
 * Limits: throughput per conversation is serial by design; a head in retry backoff holds its followers;
 * arrival order is the order enqueue calls reach Redis, so two messages sent concurrently have no order
 * to keep.
 */
const registerScript = `
  if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
    local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
    local score = last[2] and (tonumber(last[2]) + 1) or 1
    redis.call('ZADD', KEYS[1], score, ARGV[1])
  end
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return redis.call('ZRANGE', KEYS[1], 0, 0)[1]
`;

/** Braces make the key one Redis Cluster hash slot per conversation. */
const orderKey = (conversationId: string) => `gw:order:{${conversationId}}`;
const finishedStates = new Set(['completed', 'failed', 'unknown', 'missing']);

/** Whether a BullMQ job in this state (or `missing`) is done with, for good. */
export const isFinished = (state: string) => finishedStates.has(state);

export interface ConversationOrderOptions {
  /** How long a parked job sleeps if no promotion wakes it. Default: 1000 ms. */
  parkMs?: number;
  /** How long an idle conversation's order is kept. Default: 7 days. */
  ttlMs?: number;
  /**
   * Whether a finished job's answer still waits to be posted (a chat reply in its platform's queue):
   * such a head keeps its place, and whoever posts the answer releases it. Default: never.
   */
  undelivered?: (jobId: string) => Promise<boolean>;
}

export class ConversationOrder {
  readonly #redis: RedisClient;
  readonly #queue: Queue;
  readonly #parkMs: number;
  readonly #ttlMs: number;
  readonly #undelivered: (jobId: string) => Promise<boolean>;

  constructor(redis: RedisClient, queue: Queue, options: ConversationOrderOptions = {}) {
    const { parkMs = 1000, ttlMs = 7 * 24 * 3600 * 1000, undelivered = async () => false } = options;
    this.#redis = redis;
    this.#queue = queue;
    this.#parkMs = parkMs;
    this.#ttlMs = ttlMs;
    this.#undelivered = undelivered;
  }

  /** Records a job's place in its conversation (idempotent); returns the current head. */
  async register(conversationId: string, jobId: string): Promise<string> {
    return (await this.#redis.eval(registerScript, 1, orderKey(conversationId), jobId, String(this.#ttlMs))) as string;
  }

  /**
   * Whether `job` may run now. If not, the job has been parked as delayed and the caller must throw
   * BullMQ's DelayedError.
   */
  async acquire(job: Job, conversationId: string, token: string): Promise<boolean> {
    const id = job.id ?? '';
    for (;;) {
      const head = await this.register(conversationId, id);
      if (head === id) return true;
      if (!isFinished(await this.#stateOf(head)) || (await this.#undelivered(head))) break;
      await this.#redis.zrem(orderKey(conversationId), head);
    }
    await job.moveToDelayed(Date.now() + this.#parkMs, token);
    // The head may have finished between our check and parking; then nobody is left to wake us.
    if ((await this.#head(conversationId)) === id) await job.promote().catch(() => {});
    return false;
  }

  /** Called once a job is finished for good: it leaves the order and the next job is woken. */
  async release(conversationId: string, jobId: string) {
    await this.#redis.zrem(orderKey(conversationId), jobId);
    const next = await this.#head(conversationId);
    if (!next) return;
    const job = await this.#queue.getJob(next);
    if (job && (await job.getState()) === 'delayed') await job.promote().catch(() => {});
  }

  async #head(conversationId: string): Promise<string | undefined> {
    return (await this.#redis.zrange(orderKey(conversationId), '0', '0'))[0];
  }

  async #stateOf(jobId: string): Promise<string> {
    const job = await this.#queue.getJob(jobId);
    return job ? job.getState() : 'missing';
  }
}
