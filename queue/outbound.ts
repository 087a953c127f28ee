import { Queue, Worker, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { Platform } from '../core/contracts/job.ts';
import { replySchema, type Reply } from '../core/contracts/reply.ts';
import { bullConnection } from './connection.ts';
import { drainable } from './drain.ts';
import { keepCompleted, keepFailed, maxStalls } from './names.ts';

/**
 * Replies to chat platforms travel on a durable queue per platform, not on a process's channel: the
 * process that received the message may be gone by the time the answer is ready, and any process of
 * that adapter can post it, from the reply's `replyTo.chat` alone.
 */
export const outboundQueueName = (platform: Platform) => `outbound-${platform}`;

/** Delivery retries: a platform outage of minutes is ridden out; staleness decides beyond that. */
const deliveryAttempts = 10;
const deliveryBackoff = { type: 'exponential', delay: 1000 } as const;

/** The workers' side: hands each chat reply to its platform's queue, once per job. */
export class OutboundQueues {
  readonly #redisUrl: string;
  readonly #queues = new Map<Platform, Queue>();

  constructor(redisUrl: string) {
    this.#redisUrl = redisUrl;
  }

  /** Idempotent by job id: a worker that retries after adding it adds nothing. */
  async add(reply: Reply): Promise<void> {
    const platform = reply.replyTo.adapter;
    let queue = this.#queues.get(platform);
    if (!queue) {
      queue = new Queue(outboundQueueName(platform), { connection: bullConnection(this.#redisUrl) });
      queue.on('error', () => {});
      this.#queues.set(platform, queue);
    }
    await queue.add('reply', reply, {
      jobId: reply.jobId,
      attempts: deliveryAttempts,
      backoff: deliveryBackoff,
      removeOnComplete: keepCompleted,
      removeOnFail: keepFailed,
    });
  }

  async close() {
    await Promise.all([...this.#queues.values()].map((queue) => queue.close()));
  }
}

export interface OutboundWorkerOptions {
  redisUrl: string;
  platform: Platform;
  /** Posts one reply; throws to have it retried (deliveries already made are not repeated). */
  deliver: (reply: Reply) => Promise<void>;
  log: Logger;
  /** Replies delivered at once by this process. Default: 50. */
  concurrency?: number;
}

export interface OutboundWorker {
  /** Stops taking replies and waits for deliveries under way until `deadline`; the rest stay queued. */
  close(deadline?: AbortSignal): Promise<void>;
}

/** A chat adapter's side: takes its platform's replies and posts them. */
export async function startOutboundWorker(options: OutboundWorkerOptions): Promise<OutboundWorker> {
  const { redisUrl, platform, deliver, log, concurrency = 50 } = options;
  const processReply = async (job: Job) => {
    const parsed = replySchema.safeParse(job.data);
    if (!parsed.success) {
      log.error({ jobId: job.id }, 'dropped an outbound reply that does not match the Reply schema');
      return;
    }
    await deliver(parsed.data);
  };
  const replies = drainable(processReply);
  const worker = new Worker(outboundQueueName(platform), replies.processor, { connection: bullConnection(redisUrl), concurrency, maxStalledCount: maxStalls });
  worker.on('error', (error) => log.error({ err: error }, 'outbound worker connection error'));
  worker.on('failed', (job, error) => log.warn({ jobId: job?.id, attempt: job?.attemptsMade, reason: error.message }, 'reply delivery failed'));
  await worker.waitUntilReady();
  return { close: (deadline) => replies.close(worker, log, deadline) };
}
