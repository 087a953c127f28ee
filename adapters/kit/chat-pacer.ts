import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Per chat, when the platform lets us write again after answering with its rate limit (a 429 and its
 * `retry_after`). Shared by live edits and final delivery in one process, so neither writes into a
 * chat the platform has asked us to leave alone.
 */
export class ChatPacer {
  readonly #until = new Map<string, number>();

  /** Milliseconds until the chat may be written to; 0 when it may now. */
  delay(chatId: string): number {
    return Math.max(0, (this.#until.get(chatId) ?? 0) - Date.now());
  }

  async ready(chatId: string): Promise<void> {
    const wait = this.delay(chatId);
    if (wait > 0) await sleep(wait);
  }

  pause(chatId: string, ms: number): void {
    const until = Math.max(this.#until.get(chatId) ?? 0, Date.now() + ms);
    this.#until.set(chatId, until);
    // Forgotten once it has passed, so a chat seen once holds no memory.
    setTimeout(() => this.#until.get(chatId) === until && this.#until.delete(chatId), ms).unref();
  }
}
