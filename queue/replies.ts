import { Queue, QueueEvents } from 'bullmq';
import { replySchema, type Reply } from '../core/contracts/reply.ts';
import { GatewayError } from '../core/errors/gateway-error.ts';
import { bullConnection } from './connection.ts';
import { inboundQueueName } from './names.ts';

export interface AwaitReplyOptions {
  /** Default: 120 000 ms. */
  timeoutMs?: number;
}

/**
 * How a request/response adapter (HTTP) gets the reply to a job it enqueued: the reply is the job's
 * result, which BullMQ keeps with the job and announces on the queue's event stream. This works from
 * any process, for a job answered before we asked, and for a retried request with the same job id.
 */
export class ReplyWaiter {
  readonly #queue: Queue;
  readonly #events: QueueEvents;

  constructor(redisUrl: string) {
    const connection = bullConnection(redisUrl);
    this.#queue = new Queue(inboundQueueName, { connection });
    this.#events = new QueueEvents(inboundQueueName, { connection });
    this.#queue.on('error', () => {});
    this.#events.on('error', () => {});
  }

  async ready() {
    await this.#events.waitUntilReady();
  }

  async awaitReply(jobId: string, { timeoutMs = 120_000 }: AwaitReplyOptions = {}): Promise<Reply> {
    const job = await this.#queue.getJob(jobId);
    if (!job) throw new GatewayError('internal_error', 'The job for this request was not found on the queue.');
    let result: unknown;
    try {
      result = await job.waitUntilFinished(this.#events, timeoutMs);
    } catch (error) {
      if (error instanceof Error && /timed out/i.test(error.message)) {
        throw new GatewayError('timeout', `No answer within ${Math.round(timeoutMs / 1000)} s; the request is still queued.`, {
          cause: error,
        });
      }
      throw new GatewayError('internal_error', 'The request could not be processed.', { cause: error });
    }
    return replySchema.parse(result);
  }

  async close() {
    await this.#events.close();
    await this.#queue.close();
  }
}
