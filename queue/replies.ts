import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { replySchema, type Reply } from '../core/contracts/reply.ts';
import { GatewayError } from '../core/errors/gateway-error.ts';
import { bullConnection, createRedisClient, type RedisClient } from './connection.ts';
import { inboundQueueName } from './names.ts';

export interface AwaitReplyOptions {
  /** Default: 120 000 ms. */
  timeoutMs?: number;
}

/** What a worker publishes to the waiting process: the reply, or why there will be none. */
type Delivery = { jobId: string; reply: Reply } | { jobId: string; failure: string };

/** A wait ended by this process, not by a worker. */
type Abandoned = { jobId: string; abandoned: GatewayError };

/** A reply that came through Redis and is not one. */
type Unreadable = { jobId: string; unreadable: unknown };

const channel = (address: string) => `gw:replies:{${address}}`;

/**
 * The waiters of this process, by address. A worker that answers a job waited for in its own process
 * (every role in one process, the default) hands the reply over directly: no Redis round trip, and no
 * copy to serialize and check, for what never left the process.
 */
const localWaiters = new Map<string, (delivery: Delivery) => void>();

/** Sends a job's reply (or its failure) to the process waiting for it, if one named itself. */
export function deliverReply(redis: RedisClient, address: string | undefined, delivery: Delivery) {
  if (!address) return;
  const local = localWaiters.get(address);
  if (local) return local(delivery);
  redis.publish(channel(address), JSON.stringify(delivery)).catch(() => {
    // The job's stored result is the fallback the waiter polls.
  });
}

/** A reply read from Redis (published, or a job's stored result), checked before it is trusted. */
function fromRedis(delivery: Delivery): Delivery | Unreadable {
  if (!('reply' in delivery)) return delivery;
  const parsed = replySchema.safeParse(delivery.reply);
  return parsed.success ? { jobId: delivery.jobId, reply: parsed.data } : { jobId: delivery.jobId, unreadable: parsed.error };
}

/**
 * How a request/response adapter (HTTP) gets the replies to the jobs it enqueued. Each process has an
 * address; jobs carry it; workers publish the reply on that address's channel, so each process reads
 * only its own replies, in one message each. The job's stored result is the fallback: a request retried
 * with the same Idempotency-Key, or a message missed while reconnecting, is answered from it by a slow poll.
 */
export class ReplyWaiter {
  /** Goes in `replyTo.address` of every job this process waits for. */
  readonly address = randomUUID().replaceAll('-', '');
  readonly #queue: Queue;
  readonly #subscriber: RedisClient;
  readonly #waiting = new Map<string, Set<(delivery: Delivery | Abandoned | Unreadable) => void>>();
  readonly #subscribed: Promise<unknown>;

  constructor(redisUrl: string) {
    this.#queue = new Queue(inboundQueueName, { connection: bullConnection(redisUrl) });
    this.#queue.on('error', () => {});
    this.#subscriber = createRedisClient(redisUrl);
    this.#subscriber.on('error', () => {});
    this.#subscriber.on('message', (_name: string, message: string) => this.#settle(fromRedis(JSON.parse(message) as Delivery)));
    this.#subscribed = this.#subscriber.subscribe(channel(this.address));
    localWaiters.set(this.address, (delivery) => this.#settle(delivery));
  }

  #settle(delivery: Delivery | Unreadable) {
    for (const settle of this.#waiting.get(delivery.jobId) ?? []) settle(delivery);
  }

  async ready() {
    await this.#subscribed;
  }

  /**
   * The reply to a job. Call it before enqueueing the job, so a fast answer cannot arrive unheard; the
   * wait is registered at once, synchronously.
   */
  awaitReply(jobId: string, { timeoutMs = 120_000 }: AwaitReplyOptions = {}): Promise<Reply> {
    return new Promise<Reply>((resolve, reject) => {
      let poll: NodeJS.Timeout | undefined;
      const finish = (delivery: Delivery | Abandoned | Unreadable) => {
        clearTimeout(timer);
        clearTimeout(poll);
        const waiters = this.#waiting.get(jobId);
        waiters?.delete(finish);
        if (waiters?.size === 0) this.#waiting.delete(jobId);
        if ('abandoned' in delivery) {
          reject(delivery.abandoned);
        } else if ('unreadable' in delivery) {
          reject(new GatewayError('internal_error', 'The reply could not be read.', { cause: delivery.unreadable }));
        } else if ('reply' in delivery) {
          resolve(delivery.reply);
        } else {
          reject(new GatewayError('internal_error', 'The request could not be processed.', { cause: new Error(delivery.failure) }));
        }
      };
      const timer = setTimeout(() => {
        clearTimeout(poll);
        this.#waiting.get(jobId)?.delete(finish);
        reject(new GatewayError('timeout', `No complete answer within ${Math.round(timeoutMs / 1000)} s.`));
      }, timeoutMs);
      let waiters = this.#waiting.get(jobId);
      if (!waiters) this.#waiting.set(jobId, (waiters = new Set()));
      waiters.add(finish);
      // The fallback: the answer may already be stored (a retried request), or its message missed.
      // The state first, then the job: a job read first and found completed a moment later would carry
      // no return value yet.
      const check = async () => {
        const state = await this.#queue.getJobState(jobId).catch(() => 'unknown');
        const job = state === 'completed' || state === 'failed' ? await this.#queue.getJob(jobId).catch(() => undefined) : undefined;
        if (state === 'completed' && job?.returnvalue) finish(fromRedis({ jobId, reply: job.returnvalue as Reply }));
        else if (state === 'failed' && job) finish({ jobId, failure: job.failedReason || 'failed' });
        else poll = setTimeout(check, 5000);
      };
      // Early once, for a job already answered (a retried request); then rarely, as a safety net only.
      poll = setTimeout(check, 300);
    });
  }

  /**
   * Ends every wait at once with `error`: this process is stopping and will hear no more replies.
   * Returns the jobs given up on, for the caller to cancel.
   */
  abandon(error: GatewayError): string[] {
    const jobIds = [...this.#waiting.keys()];
    for (const [jobId, waiters] of this.#waiting) {
      for (const settle of waiters) settle({ jobId, abandoned: error });
    }
    return jobIds;
  }

  async close() {
    localWaiters.delete(this.address);
    this.#subscriber.disconnect();
    await this.#queue.close();
  }
}
