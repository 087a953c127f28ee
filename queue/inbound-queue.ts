import { Queue } from 'bullmq';
import { inboundJobSchema, type InboundJob, type InboundJobInput } from '../core/contracts/job.ts';
import { GatewayError } from '../core/errors/gateway-error.ts';
import { bullConnection, createRedisClient, type RedisClient } from './connection.ts';
import { ConversationOrder } from './conversation-order.ts';
import { watchQueue } from './queue-metrics.ts';
import { attempts, backoff, inboundQueueName, keepCompleted, keepFailed } from './names.ts';

/** The adapters' side of the inbound queue. */
export class InboundQueue {
  readonly #queue: Queue;
  readonly #redis: RedisClient;
  readonly #order: ConversationOrder;
  readonly #unwatch: () => void;

  constructor(redisUrl: string) {
    this.#queue = new Queue(inboundQueueName, { connection: bullConnection(redisUrl) });
    this.#queue.on('error', () => {}); // Connection errors surface on the next call and in /health.
    this.#redis = createRedisClient(redisUrl);
    this.#redis.on('error', () => {});
    this.#order = new ConversationOrder(this.#redis, this.#queue);
    this.#unwatch = watchQueue(this.#queue);
  }

  /**
   * Puts a job on the queue. Its jobId is `job.id`, derived from the platform's event id, so enqueueing
   * a redelivered event again is a no-op and the event is answered once.
   */
  async enqueue(input: InboundJobInput): Promise<InboundJob> {
    const job = inboundJobSchema.parse(input);
    try {
      await this.#queue.add('message', job, { jobId: job.id, attempts, backoff, removeOnComplete: keepCompleted, removeOnFail: keepFailed });
      // A job that is its own conversation has nothing to wait for: no order to keep.
      if (job.conversationId !== job.id) await this.#order.register(job.conversationId, job.id);
    } catch (error) {
      throw new GatewayError('queue_unavailable', 'The message queue is unavailable; try again shortly.', { cause: error });
    }
    return job;
  }

  /** How many worker processes are listening, for /health. */
  async workerCount(): Promise<number> {
    return (await this.#queue.getWorkers()).length;
  }

  async ping(): Promise<void> {
    await this.#redis.ping();
  }

  async close() {
    this.#unwatch();
    await this.#queue.close();
    this.#redis.disconnect();
  }
}
