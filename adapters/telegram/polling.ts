import type { Logger } from 'pino';
import type { Telegram } from 'telegraf';
import type { Watchdog } from '../kit/watchdog.ts';
import { telegramAllowedUpdates } from './telegram-update.ts';

export interface TelegramPollingOptions {
  telegram: Telegram;
  /** Takes one update into the queue; throws when it could not (it is fetched again). */
  handle: (update: unknown) => Promise<void>;
  log: Logger;
  /** Told of every answer from getUpdates; restarts the loop when they stop. */
  watchdog?: Watchdog;
  /** getUpdates long-poll timeout. Default: 25 s. */
  timeoutSeconds?: number;
}

/**
 * Long polling, written out rather than telegraf's launch(), for two guarantees: an update is confirmed
 * to Telegram (by asking for the next offset) only after it is on the queue, so a crash loses nothing;
 * and the loop can be watched and restarted when a poll hangs.
 */
export class TelegramPolling {
  readonly #options: TelegramPollingOptions;
  #offset: number | undefined;
  #abort: AbortController | undefined;
  #running: Promise<void> | undefined;

  constructor(options: TelegramPollingOptions) {
    this.#options = options;
  }

  start(): void {
    const abort = (this.#abort = new AbortController());
    this.#running = this.#loop(abort.signal);
  }

  /** Abandons the poll in flight and starts again from the last confirmed offset. */
  async restart(): Promise<void> {
    await this.stop();
    this.start();
  }

  async stop(): Promise<void> {
    this.#abort?.abort();
    await this.#running;
  }

  async #loop(signal: AbortSignal): Promise<void> {
    const { telegram, handle, log, watchdog, timeoutSeconds = 25 } = this.#options;
    let backoffMs = 0;
    while (!signal.aborted) {
      try {
        const payload = { offset: this.#offset, timeout: timeoutSeconds, allowed_updates: [...telegramAllowedUpdates] };
        // telegraf types the signal as the abort-controller shim's; node-fetch takes Node's own.
        const updates = await telegram.callApi('getUpdates', payload, { signal: signal as Parameters<Telegram['callApi']>[2] extends { signal?: infer S } ? S : never });
        watchdog?.beat();
        backoffMs = 0;
        for (const update of updates) {
          if (signal.aborted) return;
          await handle(update);
          this.#offset = update.update_id + 1;
        }
      } catch (error) {
        if (signal.aborted) return;
        const status = (error as { response?: { error_code?: number } }).response?.error_code;
        if (status === 401) log.error('Telegram refused TELEGRAM_BOT_TOKEN (401 Unauthorized); polling again later');
        else if (status === 409) log.warn('Telegram reports a conflict (409): another process polls this bot, or a webhook is set');
        else log.warn({ reason: (error as Error).message }, 'Telegram polling failed; retrying');
        backoffMs = Math.min(30_000, Math.max(500, backoffMs * 2));
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, backoffMs);
          signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
        });
      }
    }
  }
}
