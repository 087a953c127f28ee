import type { Logger } from 'pino';
import { chatMetrics } from './chat-metrics.ts';

export interface WatchdogOptions {
  /** The adapter watched, as in metrics and /health: `telegram`. */
  name: string;
  /** No sign of life for this long is a stall. */
  stallMs: number;
  /** Restarts the stalled connection or loop; resolves when it runs again (it beats again on its own). */
  restart: () => Promise<void>;
  log: Logger;
  /** How often it looks. Default: stallMs / 4. */
  checkEveryMs?: number;
}

export interface WatchdogState {
  status: 'ok' | 'stalled' | 'restarting';
  /** Milliseconds since the last sign of life. */
  sinceBeatMs: number;
  restarts: number;
}

/**
 * Restarts an adapter whose connection or polling loop has gone quiet: a long poll that never returns,
 * a gateway socket that stopped receiving heartbeats. The loop calls `beat()` on every sign of life;
 * the state is in /health and in the `gateway_adapter_up` and `gateway_adapter_restarts_total` metrics.
 */
export class Watchdog {
  readonly #options: WatchdogOptions;
  #lastBeat = Date.now();
  #restarting = false;
  #restarts = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: WatchdogOptions) {
    this.#options = options;
  }

  beat(): void {
    this.#lastBeat = Date.now();
    chatMetrics.up.set({ adapter: this.#options.name }, 1);
  }

  start(): void {
    const { stallMs, checkEveryMs = Math.max(10, stallMs / 4) } = this.#options;
    this.beat();
    this.#timer = setInterval(() => void this.#check(), checkEveryMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    chatMetrics.up.set({ adapter: this.#options.name }, 0);
  }

  state(): WatchdogState {
    const sinceBeatMs = Date.now() - this.#lastBeat;
    const status = this.#restarting ? 'restarting' : sinceBeatMs > this.#options.stallMs ? 'stalled' : 'ok';
    return { status, sinceBeatMs, restarts: this.#restarts };
  }

  async #check(): Promise<void> {
    const { name, stallMs, restart, log } = this.#options;
    if (this.#restarting || Date.now() - this.#lastBeat <= stallMs) return;
    this.#restarting = true;
    chatMetrics.up.set({ adapter: name }, 0);
    chatMetrics.restarts.inc({ adapter: name });
    this.#restarts += 1;
    log.warn({ adapter: name, silentMs: Date.now() - this.#lastBeat }, 'adapter stalled; restarting it');
    try {
      await restart();
      this.beat();
    } catch (error) {
      log.error({ adapter: name, err: error }, 'adapter restart failed; trying again');
    } finally {
      this.#restarting = false;
    }
  }
}
