import type { Logger } from 'pino';
import type { StreamPart } from '../../core/contracts/stream-part.ts';
import { chatMetrics } from './chat-metrics.ts';
import { ChatPacer } from './chat-pacer.ts';
import { PlatformCallError, type ChatTarget, type ChatTransport } from './chat-transport.ts';
import { draftIdOf, type DeliveryRecords } from './delivery-records.ts';
import { splitMessage } from './split-message.ts';

export interface LiveRepliesOptions {
  transport: ChatTransport;
  records: DeliveryRecords;
  /** A job's stream parts from its first (as the stream relay yields them), ending at its `finish` or `error` or when `signal` aborts. */
  subscribe: (jobId: string, signal: AbortSignal) => AsyncIterable<{ part: StreamPart }>;
  log: Logger;
  /** Least time between two edits in one chat. Default: 1000 ms. */
  minEditIntervalMs?: number;
  /** How often "typing…" is renewed while the answer is awaited (Telegram shows it for 5 s). Default: 4000 ms. */
  typingIntervalMs?: number;
  /** The longest a job is followed. Default: 10 minutes. */
  maxFollowMs?: number;
  /** The platform's rate-limit pauses per chat, shared with final delivery. Default: its own. */
  pacer?: ChatPacer;
}

interface Following {
  abort: AbortController;
  done: Promise<void>;
}

/**
 * The answer shown while it is written, in the process that received the message: "typing…" until the
 * first words, then one message edited as text streams in, at most once per `minEditIntervalMs` per
 * chat and never sooner than the platform's rate limit allows. The live message is the reply's first
 * part, recorded as a draft; ReplyDelivery gives it the final, formatted text. Edits are best effort:
 * one skipped is made good by the next, or by the final text.
 */
export class LiveReplies {
  readonly #transport: ChatTransport;
  readonly #records: DeliveryRecords;
  readonly #subscribe: LiveRepliesOptions['subscribe'];
  readonly #log: Logger;
  readonly #minEditIntervalMs: number;
  readonly #typingIntervalMs: number;
  readonly #maxFollowMs: number;
  readonly #following = new Map<string, Following>();
  /** The platform's rate-limit pauses per chat. */
  readonly #pacer: ChatPacer;
  /** Our own pacing per chat: after each edit, the next waits `minEditIntervalMs`. */
  readonly #editPacing = new ChatPacer();

  constructor(options: LiveRepliesOptions) {
    const { transport, records, subscribe, log, minEditIntervalMs = 1000, typingIntervalMs = 4000, maxFollowMs = 600_000 } = options;
    this.#transport = transport;
    this.#records = records;
    this.#subscribe = subscribe;
    this.#log = log;
    this.#minEditIntervalMs = minEditIntervalMs;
    this.#typingIntervalMs = typingIntervalMs;
    this.#maxFollowMs = maxFollowMs;
    this.#pacer = options.pacer ?? new ChatPacer();
  }

  /** Starts showing a job's answer as it comes: typing, then (if `stream`) live edits. */
  follow(jobId: string, target: ChatTarget, { stream }: { stream: boolean }): void {
    if (this.#following.has(jobId)) return;
    const abort = new AbortController();
    const timeout = setTimeout(() => abort.abort(), this.#maxFollowMs);
    const done = this.#run(jobId, target, stream, abort.signal)
      .catch((error: unknown) => this.#log.warn({ jobId, err: error }, 'live reply stopped'))
      .finally(() => {
        clearTimeout(timeout);
        this.#following.delete(jobId);
      });
    this.#following.set(jobId, { abort, done });
  }

  /** Stops following a job and waits for an edit in flight, so the final text is the last one. */
  async settle(jobId: string): Promise<void> {
    const following = this.#following.get(jobId);
    if (!following) return;
    following.abort.abort();
    await following.done;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#following.keys()].map((jobId) => this.settle(jobId)));
  }

  async #run(jobId: string, target: ChatTarget, stream: boolean, signal: AbortSignal): Promise<void> {
    const typing = () => void this.#transport.typing(target).catch(() => {});
    typing();
    const typingTimer = setInterval(typing, this.#typingIntervalMs);
    const stopTyping = () => clearInterval(typingTimer);
    let text = '';
    let shown = '';
    let messageId: string | undefined;
    let gaveUp = !stream || !this.#transport.capabilities.edits;
    let flushing: Promise<void> = Promise.resolve();
    let timer: NodeJS.Timeout | undefined;

    const flush = async () => {
      timer = undefined;
      if (gaveUp || signal.aborted) return;
      const { dialect, capabilities } = this.#transport;
      const draft = splitMessage(text, dialect, capabilities.maxMessageLength)[0] ?? '';
      if (!draft || draft === shown) return;
      this.#editPacing.pause(target.id, this.#minEditIntervalMs);
      try {
        if (!messageId) {
          // The live message is the reply's first part: claimed like any, so it is never posted twice.
          const earlier = await this.#records.claim(jobId, 'p0');
          if (earlier === undefined) {
            try {
              messageId = await this.#transport.send(target, draft, target.messageId ? { replyToMessageId: target.messageId } : {});
            } catch (error) {
              if (!(error instanceof PlatformCallError && error.uncertain)) await this.#records.record(jobId, 'p0', 'failed');
              gaveUp = true;
              throw error;
            }
            await this.#records.record(jobId, 'p0', `draft:${messageId}`);
            stopTyping();
            shown = draft;
            return;
          }
          // A draft already there (a deferred slash-command response, or another process's live message) is edited on.
          messageId = draftIdOf(earlier);
          if (!messageId) {
            gaveUp = true;
            return;
          }
          stopTyping();
        }
        // Final text may have replaced the draft already (another process delivered it): then stop.
        const record = (await this.#records.read(jobId)).p0;
        if (record !== `draft:${messageId}`) {
          gaveUp = true;
          return;
        }
        await this.#transport.edit(target, messageId, draft);
        shown = draft;
      } catch (error) {
        if (error instanceof PlatformCallError && error.code === 'platform_rate_limited') {
          chatMetrics.platformRateLimited.inc({ platform: this.#transport.platform });
          this.#pacer.pause(target.id, error.retryAfterMs ?? this.#minEditIntervalMs);
          schedule();
        } else {
          // A draft the platform will not take (its markup, mid-way through a code block): the final text will.
          this.#log.debug({ jobId, err: error }, 'live edit skipped');
        }
      }
    };
    const schedule = () => {
      if (timer || gaveUp) return;
      const wait = Math.max(this.#pacer.delay(target.id), this.#editPacing.delay(target.id));
      timer = setTimeout(() => {
        flushing = flushing.then(flush);
      }, wait);
    };

    try {
      if (gaveUp) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      else for await (const { part } of this.#subscribe(jobId, signal)) {
        // A worker that died mid-answer is replaced and starts the answer over: so does the live message.
        if (part.type === 'start') text = '';
        if (part.type === 'text') {
          text += part.delta;
          schedule();
        }
        if (part.type === 'finish' || part.type === 'error') break;
      }
    } finally {
      clearTimeout(timer);
      // Typing stops with the answer (or when followed no longer); the reply's delivery takes over from here.
      stopTyping();
      await flushing;
    }
  }
}
