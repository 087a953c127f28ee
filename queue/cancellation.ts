import { GatewayError } from '../core/errors/gateway-error.ts';
import type { RedisClient } from './connection.ts';

const cancelChannel = 'gw:cancel';
const cancelKey = (jobId: string) => `gw:cancelled:{${jobId}}`;
const resumedKey = (jobId: string) => `gw:resumed:{${jobId}}`;

/**
 * Cancels jobs across processes: an adapter whose client went away calls `cancel(jobId)`; the worker
 * running that job (whichever it is) aborts its signal, which reaches the provider's HTTP call. A job
 * cancelled before any worker took it is refused when one does, by the key left behind.
 */
export class Cancellation {
  readonly #redis: RedisClient;
  readonly #subscriber: RedisClient;
  readonly #running = new Map<string, AbortController>();
  #subscribed: Promise<unknown> | undefined;
  readonly #ttlMs: number;

  /** `subscriber` is a connection in subscribe mode; it may be shared with the stream relay. */
  constructor(redis: RedisClient, subscriber: RedisClient, { ttlMs = 3_600_000 }: { ttlMs?: number } = {}) {
    this.#redis = redis;
    this.#subscriber = subscriber;
    this.#ttlMs = ttlMs;
    subscriber.on('message', (name: string, jobId: string) => {
      if (name === cancelChannel) this.#running.get(jobId)?.abort(cancelled());
    });
  }

  async cancel(jobId: string) {
    await this.#redis.multi().set(cancelKey(jobId), '1', 'PX', this.#ttlMs).publish(cancelChannel, jobId).exec();
  }

  /**
   * Cancels the job after `graceMs` unless a client resumed it meanwhile (from any process): a dropped
   * connection gets a moment to come back before its answer is abandoned.
   */
  cancelUnlessResumed(jobId: string, graceMs: number) {
    const timer = setTimeout(async () => {
      if (!(await this.#redis.exists(resumedKey(jobId)).catch(() => 0))) await this.cancel(jobId).catch(() => {});
    }, graceMs);
    timer.unref();
  }

  /** Records that a client re-attached to the job, so a pending grace-period cancel leaves it running. */
  async markResumed(jobId: string) {
    await this.#redis.set(resumedKey(jobId), '1', 'PX', this.#ttlMs);
  }

  /**
   * A signal that aborts when the job is cancelled, from now or from before; `release` when the job ends.
   * The check for an earlier cancel is not awaited: the job's next command on this connection (its
   * checkpoint read, before the paid call) is answered after it, so the signal has aborted by then.
   */
  async watch(jobId: string): Promise<{ signal: AbortSignal; release: () => void }> {
    this.#subscribed ??= this.#subscriber.subscribe(cancelChannel);
    await this.#subscribed;
    const controller = new AbortController();
    this.#running.set(jobId, controller);
    this.#redis.exists(cancelKey(jobId)).then(
      (found) => found && controller.abort(cancelled()),
      () => {},
    );
    return { signal: controller.signal, release: () => this.#running.delete(jobId) };
  }
}

export function cancelled() {
  return new GatewayError('cancelled', 'The client went away, so the request was cancelled.');
}
