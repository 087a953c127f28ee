import { Queue, Worker, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { platformSchema, type Platform } from '../core/contracts/job.ts';
import { replySchema, type Reply } from '../core/contracts/reply.ts';
import { bullConnection, createRedisClient } from './connection.ts';
import { ConversationOrder, isFinished } from './conversation-order.ts';
import { drainable } from './drain.ts';
import { inboundQueueName, keepCompleted, keepFailed, maxStalls } from './names.ts';

/**
 * Replies to chat platforms travel on a durable queue per platform, not on a process's channel: the
 * process that received the message may be gone by the time the answer is ready, and any process of
 * that adapter can post it, from the reply's `replyTo.chat` alone.
 */
export const outboundQueueName = (platform: Platform) => `outbound-${platform}`;

/** Delivery retries: a platform outage of minutes is ridden out; staleness decides beyond that. */
const deliveryAttempts = 10;
const deliveryBackoff = { type: 'exponential', delay: 1000 } as const;

/**
 * A chat reply's place in its conversation is held until it is posted (or given up), not only until it
 * is queued: the next message of the conversation runs after that, so a delivery retried after a
 * platform error or a Redis restart is never overtaken by the next answer. HTTP replies go straight
 * to a waiting client and hold nothing.
 */
const postedByChatAdapter = (platform: Platform) => platform !== 'http';
export const holdsConversationUntilDelivered = (reply: Reply) => postedByChatAdapter(reply.replyTo.adapter);

/** The platforms with an outbound queue. */
const chatPlatforms = platformSchema.options.filter(postedByChatAdapter);

/** The workers' side: hands each chat reply to its platform's queue, once per job. */
export class OutboundQueues {
  readonly #redisUrl: string;
  readonly #queues = new Map<Platform, Queue>();

  constructor(redisUrl: string) {
    this.#redisUrl = redisUrl;
  }

  /** Idempotent by job id: a worker that retries after adding it adds nothing. */
  async add(reply: Reply): Promise<void> {
    await this.#queue(reply.replyTo.adapter).add('reply', reply, {
      jobId: reply.jobId,
      attempts: deliveryAttempts,
      backoff: deliveryBackoff,
      removeOnComplete: keepCompleted,
      removeOnFail: keepFailed,
    });
  }

  /** Whether the reply to this job waits in a chat platform's queue, not yet posted nor given up. */
  async undelivered(jobId: string): Promise<boolean> {
    for (const platform of chatPlatforms) {
      const job = await this.#queue(platform).getJob(jobId);
      if (job && !isFinished(await job.getState())) return true;
    }
    return false;
  }

  async close() {
    await Promise.all([...this.#queues.values()].map((queue) => queue.close()));
  }

  #queue(platform: Platform): Queue {
    let queue = this.#queues.get(platform);
    if (!queue) {
      queue = new Queue(outboundQueueName(platform), { connection: bullConnection(this.#redisUrl) });
      queue.on('error', () => {});
      this.#queues.set(platform, queue);
    }
    return queue;
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
  const redis = createRedisClient(redisUrl);
  redis.on('error', () => {}); // surfaces in failed deliveries; the client reconnects on its own
  const inbound = new Queue(inboundQueueName, { connection: bullConnection(redisUrl) });
  inbound.on('error', () => {});
  const order = new ConversationOrder(redis, inbound);
  /** The conversation's next message may run now. Should this fail, the follower finds out on its own (it polls). */
  const release = async (reply: Reply) => {
    if (reply.conversationId === reply.jobId) return; // its own conversation: nobody follows it
    await order.release(reply.conversationId, reply.jobId).catch((error: unknown) => log.warn({ err: error, jobId: reply.jobId }, 'could not wake the next message of a conversation'));
  };
  const processReply = async (job: Job) => {
    const parsed = replySchema.safeParse(job.data);
    if (!parsed.success) {
      log.error({ jobId: job.id }, 'dropped an outbound reply that does not match the Reply schema');
      return;
    }
    await deliver(parsed.data);
    await release(parsed.data);
  };
  const replies = drainable(processReply);
  const worker = new Worker(outboundQueueName(platform), replies.processor, { connection: bullConnection(redisUrl), concurrency, maxStalledCount: maxStalls });
  worker.on('error', (error) => log.error({ err: error }, 'outbound worker connection error'));
  worker.on('failed', (job, error) => {
    log.warn({ jobId: job?.id, attempt: job?.attemptsMade, reason: error.message }, 'reply delivery failed');
    // Given up for good (not waiting for another attempt): the conversation goes on without this answer.
    const parsed = replySchema.safeParse(job?.data);
    if (job && parsed.success) void job.getState().then((state) => (state === 'failed' ? release(parsed.data) : undefined), () => {});
  });
  await worker.waitUntilReady();
  return {
    async close(deadline) {
      await replies.close(worker, log, deadline);
      await inbound.close();
      redis.disconnect();
    },
  };
}
