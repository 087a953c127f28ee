import { DelayedError, Queue, Worker, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { idSchema } from '../core/contracts/job.ts';
import type { Reply } from '../core/contracts/reply.ts';
import { GatewayError } from '../core/errors/gateway-error.ts';
import type { JobOutcome, JobRunner } from '../core/pipeline/run-job.ts';
import { redisCheckpoints } from './checkpoints.ts';
import { bullConnection, createRedisClient } from './connection.ts';
import { ConversationOrder, type ConversationOrderOptions } from './conversation-order.ts';
import { inboundQueueName, maxStalls as defaultMaxStalls } from './names.ts';
import { toQueueError } from './to-queue-error.ts';
import { Cancellation } from './cancellation.ts';
import { holdsConversationUntilDelivered, OutboundQueues } from './outbound.ts';
import { deliverReply } from './replies.ts';
import { StreamRelay } from './stream-relay.ts';
import { watchQueue } from './queue-metrics.ts';
import { drainable } from './drain.ts';

export interface InboundWorkerOptions {
  redisUrl: string;
  runJob: JobRunner;
  log: Logger;
  /** Jobs run at once in this process (across conversations). Default: 1000. */
  concurrency?: number;
  order?: ConversationOrderOptions;
  /**
   * How long this process's hold on a job lasts unrenewed: a crashed worker's jobs are taken over by
   * another after about this long. Default: 30 000 ms (BullMQ's).
   */
  lockDurationMs?: number;
  /** Takeovers of one job after its worker died before the job is given up and answered `job_crashed`. Default: 10. */
  maxStalls?: number;
}

export interface InboundWorker {
  /**
   * Stops taking jobs and waits for the running ones to finish, until `deadline` aborts. Jobs still
   * running then are let go: their locks lapse and another worker takes them over (after
   * JOB_LOCK_SECONDS), where their checkpoints keep the paid call and the delivery from repeating.
   */
  close(deadline?: AbortSignal): Promise<void>;
}

/** Drains the inbound queue through the pipeline, one job per conversation at a time. */
export async function startInboundWorker(options: InboundWorkerOptions): Promise<InboundWorker> {
  const { redisUrl, runJob, log, concurrency = 1000, lockDurationMs = 30_000, maxStalls = defaultMaxStalls } = options;
  const connection = bullConnection(redisUrl);
  const redis = createRedisClient(redisUrl);
  redis.on('error', () => {});
  const subscriber = createRedisClient(redisUrl);
  subscriber.on('error', () => {});
  const lookup = new Queue(inboundQueueName, { connection });
  lookup.on('error', () => {});
  const unwatch = watchQueue(lookup);
  const outbound = new OutboundQueues(redisUrl);
  const order = new ConversationOrder(redis, lookup, { undelivered: (jobId) => outbound.undelivered(jobId), ...options.order });
  const relay = new StreamRelay(redis, subscriber);
  const cancellation = new Cancellation(redis, subscriber);

  /** Where a job stands: its conversation (`ordered` when it waits its turn there), and who waits for its reply. */
  const placeOf = (job: Job) => {
    const jobId = job.id ?? '';
    // Read before the pipeline validates the job, so take only well-formed values.
    const data = job.data as { id?: unknown; conversationId?: unknown; replyTo?: { address?: unknown } } | null | undefined;
    const given = idSchema.safeParse(data?.conversationId);
    const conversationId = given.success ? given.data : jobId;
    const replyAddress = idSchema.safeParse(data?.replyTo?.address);
    // A job that is its own conversation (an HTTP request without X-Conversation-Id) is never ordered,
    // nor is one queued under another id than its own: a copy, refused below, takes no place in line.
    return { jobId, conversationId, ordered: conversationId !== jobId && data?.id === jobId, address: replyAddress.success ? replyAddress.data : undefined };
  };

  /** Hands an outcome to whoever waits for it; a reply is returned, anything else thrown to the queue. */
  const settle = async ({ jobId, conversationId, ordered, address }: ReturnType<typeof placeOf>, outcome: JobOutcome): Promise<Reply> => {
    if (outcome.kind === 'retry') throw toQueueError(outcome);
    if (outcome.kind === 'drop') {
      if (ordered) await order.release(conversationId, jobId);
      deliverReply(redis, address, { jobId, failure: outcome.error.code });
      throw toQueueError(outcome);
    }
    // A chat reply is handed on durably before the job completes: should this process die in between,
    // the job is retried, finds its checkpoints, and the add (keyed by job id) happens once. The
    // conversation's next message runs once it is posted: the outbound worker releases it.
    if (holdsConversationUntilDelivered(outcome.reply)) await outbound.add(outcome.reply);
    else if (ordered) await order.release(conversationId, jobId);
    deliverReply(redis, address, { jobId, reply: outcome.reply });
    return outcome.reply;
  };

  const processJob = async (job: Job, token?: string): Promise<Reply> => {
    const place = placeOf(job);
    const { jobId, conversationId, ordered } = place;
    if (ordered && !(await order.acquire(job, conversationId, token ?? ''))) throw new DelayedError();
    const attempt = job.attemptsMade + 1;
    const final = attempt >= (job.opts.attempts ?? 1);
    const { signal, release } = await cancellation.watch(jobId);
    const outcome = await runJob(job.data, {
      attempt,
      final,
      checkpoints: redisCheckpoints(redis, jobId),
      abortSignal: signal,
      publish: (part) => relay.publish(jobId, part),
      // Adapters queue every job under its own id, which its token is bound to; the runner refuses any other.
      queueJobId: jobId,
    }).finally(release);
    return settle(place, outcome);
  };

  /**
   * BullMQ fails a job that stopped its workers more than `maxStalls` times (a crash, an out-of-memory
   * kill) without running it again, in whichever worker takes it next. That worker answers it with
   * `job_crashed`, so the sender is not left waiting; the answer goes once, as any other (the outbound
   * add is keyed by job id).
   */
  const givingUp = new Set<Promise<void>>();
  const answerGivenUp = async (job: Job) => {
    const jobId = job.id ?? '';
    log.error({ jobId, reason: job.failedReason }, 'job given up: it stopped its workers too many times');
    const giveUp = new GatewayError('job_crashed', 'This message could not be answered: handling it stopped the gateway several times. Try again differently, or tell an admin.');
    const outcome = await runJob(job.data, { attempt: job.attemptsMade, final: true, checkpoints: redisCheckpoints(redis, jobId), queueJobId: jobId, giveUp });
    await settle(placeOf(job), outcome).catch(() => {}); // a drop (no identity to answer) is thrown, and was recorded
  };

  const jobs = drainable(processJob);
  const worker = new Worker(inboundQueueName, jobs.processor, {
    connection,
    concurrency,
    lockDuration: lockDurationMs,
    stalledInterval: lockDurationMs,
    maxStalledCount: maxStalls,
  });
  worker.on('error', (error) => log.error({ err: error }, 'worker connection error'));
  worker.on('failed', (job, error) => {
    if (!job || error instanceof DelayedError) return;
    if (job.deferredFailure) {
      const answering: Promise<void> = answerGivenUp(job)
        .catch((cause: unknown) => log.error({ err: cause, jobId: job.id }, 'could not answer a job given up'))
        .finally(() => givingUp.delete(answering));
      givingUp.add(answering);
    } else log.warn({ jobId: job.id, reason: error.message }, 'job attempt failed');
  });
  await worker.waitUntilReady();

  return {
    async close(deadline) {
      await jobs.close(worker, log, deadline);
      await Promise.all(givingUp);
      await outbound.close();
      unwatch();
      await lookup.close();
      redis.disconnect();
      subscriber.disconnect();
    },
  };
}
