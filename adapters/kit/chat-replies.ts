import type { InboundJobInput } from '../../core/contracts/job.ts';
import type { Reply } from '../../core/contracts/reply.ts';
import type { ChatAdapterParts } from './chat-adapter.ts';
import { ChatPacer } from './chat-pacer.ts';
import type { ChatTarget, ChatTransport } from './chat-transport.ts';
import { ReplyDelivery } from './deliver-reply.ts';
import { cannotRead, gatewayNote } from './gateway-note.ts';
import { LiveReplies } from './live-replies.ts';

export interface ChatRepliesOptions {
  transport: ChatTransport;
  parts: Pick<ChatAdapterParts, 'records' | 'subscribe' | 'log' | 'editIntervalMs' | 'maxReplyAgeMs'>;
  /** Waits for a platform's rate limit within one delivery, up to this long. Default: the delivery's own. */
  maxRateLimitWaitMs?: number;
}

/**
 * A chat adapter's replies over its transport: the answer shown live while it is written, and the
 * final reply delivered exactly once, both paced by one per-chat rate-limit memory.
 */
export class ChatReplies {
  readonly #live: LiveReplies;
  readonly #delivery: ReplyDelivery;
  readonly #records: ChatAdapterParts['records'];
  readonly #transport: ChatTransport;

  constructor({ transport, parts, maxRateLimitWaitMs }: ChatRepliesOptions) {
    const { records, subscribe, log, editIntervalMs, maxReplyAgeMs } = parts;
    const pacer = new ChatPacer();
    this.#live = new LiveReplies({ transport, records, subscribe, log, minEditIntervalMs: editIntervalMs, pacer });
    this.#delivery = new ReplyDelivery({ transport, records, log, maxAgeMs: maxReplyAgeMs, settleLive: (jobId) => this.#live.settle(jobId), pacer, maxRateLimitWaitMs });
    this.#records = records;
    this.#transport = transport;
  }

  /** Posts a reply from the outbound queue. */
  deliver(reply: Reply): Promise<void> {
    return this.#delivery.deliver(reply);
  }

  /** Shows a queued job's answer as it comes, in the first process to see its event: a redelivered event answered already shows nothing. */
  async follow(job: InboundJobInput, target: ChatTarget): Promise<void> {
    if ((await this.#records.claim(job.id, 'live')) === undefined) this.#live.follow(job.id, target, { stream: job.request?.stream ?? false });
  }

  /** Answers a message the adapter cannot read (a voice message, only files) with what it can, once per event. */
  cannotRead(jobId: string, target: ChatTarget, what: string): Promise<void> {
    return this.note(jobId, target, cannotRead(what));
  }

  /** The adapter's own answer to an event, no job run; delivered once per event like any reply. */
  note(jobId: string, target: ChatTarget, text: string): Promise<void> {
    return this.#delivery.deliver(gatewayNote(this.#transport.platform, jobId, target, text));
  }

  close(): Promise<void> {
    return this.#live.close();
  }
}
