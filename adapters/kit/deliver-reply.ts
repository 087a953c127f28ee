import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Reply } from '../../core/contracts/reply.ts';
import { PlatformCallError, type ChatTarget, type ChatTransport, type SendOptions } from './chat-transport.ts';
import { chatMetrics } from './chat-metrics.ts';
import { ChatPacer } from './chat-pacer.ts';
import { draftIdOf, isClaim, type DeliveryRecords } from './delivery-records.ts';
import { replyMessages, type ChatMessage } from './reply-messages.ts';

export interface ReplyDeliveryOptions {
  transport: ChatTransport;
  records: DeliveryRecords;
  log: Logger;
  /** A reply older than this when it could first be posted (after an outage) is dropped, not replayed. Default: 15 minutes. */
  maxAgeMs?: number;
  /** Stops this process's live edits of a job before its final text replaces them. Default: none running. */
  settleLive?: (jobId: string) => Promise<void>;
  /** Waits for a platform's rate limit within one delivery, up to this long; beyond it the queue retries. Default: 30 s. */
  maxRateLimitWaitMs?: number;
  /** How long a part claimed by another process (a live message being created) is awaited. Default: 10 s. */
  claimWaitMs?: number;
  /** The platform's rate-limit pauses per chat, shared with live edits. Default: this delivery's own. */
  pacer?: ChatPacer;
}

/**
 * Posts a reply in its chat, each message exactly once. Per job and part, the records say what is
 * already out: a part sent is skipped, a live message (streamed as edits) gets the final text by one
 * more edit, a new part is claimed before it is sent. So a redelivered reply, a second process, or a
 * restart posts nothing twice. A part whose send may have landed (a timeout) is not sent again: the
 * one case where a message may be missing rather than doubled, and it is logged.
 */
export class ReplyDelivery {
  readonly #transport: ChatTransport;
  readonly #records: DeliveryRecords;
  readonly #log: Logger;
  readonly #maxAgeMs: number;
  readonly #settleLive: (jobId: string) => Promise<void>;
  readonly #maxRateLimitWaitMs: number;
  readonly #claimWaitMs: number;
  readonly #pacer: ChatPacer;

  constructor(options: ReplyDeliveryOptions) {
    const { transport, records, log, maxAgeMs = 15 * 60_000, settleLive = async () => {}, maxRateLimitWaitMs = 30_000, claimWaitMs = 10_000 } = options;
    this.#transport = transport;
    this.#records = records;
    this.#log = log;
    this.#maxAgeMs = maxAgeMs;
    this.#settleLive = settleLive;
    this.#maxRateLimitWaitMs = maxRateLimitWaitMs;
    this.#claimWaitMs = claimWaitMs;
    this.#pacer = options.pacer ?? new ChatPacer();
  }

  async deliver(reply: Reply): Promise<void> {
    const target = reply.replyTo.chat;
    const log = this.#log.child({ jobId: reply.jobId, requestId: reply.requestId });
    if (!target) {
      log.error('a chat reply without a chat to go to; dropped');
      return;
    }
    await this.#settleLive(reply.jobId);
    const { platform, capabilities, dialect } = this.#transport;
    const messages = replyMessages(reply, dialect, capabilities.maxMessageLength);
    const stale = Date.now() - Date.parse(reply.createdAt) > this.#maxAgeMs;
    for (const [index, message] of messages.entries()) {
      const part = `p${index}`;
      let earlier = await this.#records.claim(reply.jobId, part);
      // Another process is creating this part (a live message): wait for its id rather than guess.
      for (const deadline = Date.now() + this.#claimWaitMs; isClaim(earlier) && Date.now() < deadline; ) {
        await sleep(200);
        earlier = (await this.#records.read(reply.jobId))[part];
      }
      if (isClaim(earlier)) {
        log.warn({ part }, 'a message of this reply may or may not have been posted (its send did not finish); not sending it again');
        chatMetrics.replies.inc({ platform, outcome: 'uncertain' });
        continue;
      }
      const draft = draftIdOf(earlier);
      if (earlier !== undefined && !draft) continue; // sent, stale or refused already
      if (stale && !draft) {
        await this.#records.record(reply.jobId, part, 'stale');
        chatMetrics.replies.inc({ platform, outcome: 'stale' });
        log.warn({ part, createdAt: reply.createdAt }, 'reply too old to post after an outage; dropped');
        continue;
      }
      try {
        const messageId = draft
          ? (await this.#post(target, message, (text, options) => this.#transport.edit(target, draft, text, options)), draft)
          : await this.#post(target, message, (text, options) =>
              this.#transport.send(target, text, { ...options, ...(index === 0 && target.messageId ? { replyToMessageId: target.messageId } : {}) }),
            );
        await this.#records.record(reply.jobId, part, `sent:${messageId}`);
        chatMetrics.replies.inc({ platform, outcome: 'sent' });
      } catch (error) {
        if (error instanceof PlatformCallError && error.uncertain) throw error; // the claim stays: never twice
        if (error instanceof PlatformCallError && error.code === 'platform_refused') {
          await this.#records.record(reply.jobId, part, 'refused');
          chatMetrics.replies.inc({ platform, outcome: 'refused' });
          log.warn({ part, reason: error.message }, 'the platform refused the reply; not retried');
          continue;
        }
        // Certainly not posted: free the part for the queue's next attempt (a live message stays one).
        await this.#records.record(reply.jobId, part, draft ? `draft:${draft}` : 'failed');
        throw error;
      }
    }
  }

  /**
   * One call with the platform's answers handled: its rate limit waited out (within reason), and
   * markup it rejects sent again as the plain text a person would read.
   */
  async #post<T>(target: ChatTarget, message: ChatMessage, call: (text: string, options: Pick<SendOptions, 'plain' | 'buttons'>) => Promise<T>): Promise<T> {
    let { text, plain } = message;
    const buttons = message.buttons ? { buttons: message.buttons } : {};
    let waited = 0;
    for (;;) {
      try {
        await this.#pacer.ready(target.id);
        return await call(text, { plain, ...buttons });
      } catch (error) {
        if (!(error instanceof PlatformCallError)) throw error;
        if (error.code === 'platform_formatting_rejected' && !plain) {
          this.#log.warn({ chat: target.id, reason: error.message }, 'the platform rejected the formatting; sending plain text');
          chatMetrics.plainResends.inc({ platform: this.#transport.platform });
          text = this.#transport.dialect.plain(text);
          plain = true;
          continue;
        }
        const wait = error.retryAfterMs ?? 0;
        if (error.code === 'platform_rate_limited' && waited + wait <= this.#maxRateLimitWaitMs) {
          chatMetrics.platformRateLimited.inc({ platform: this.#transport.platform });
          waited += wait;
          this.#pacer.pause(target.id, wait);
          continue;
        }
        throw error;
      }
    }
  }
}
