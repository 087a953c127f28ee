import { randomUUID } from 'node:crypto';
import type { InboundJobInput, Platform } from '../../core/contracts/job.ts';
import { maxMessageChars } from '../../core/contracts/message.ts';
import type { OkReply } from '../../core/contracts/reply.ts';
import type { ChatTarget } from './chat-transport.ts';

/** A reply the adapter writes itself, no job run (a message it cannot read): delivered like any, exactly once per event. */
export function gatewayNote(platform: Platform, jobId: string, chat: ChatTarget, text: string): OkReply {
  return {
    v: 1,
    jobId,
    requestId: `req_${randomUUID().replaceAll('-', '')}`,
    conversationId: `${platform}-${chat.id}`,
    replyTo: { adapter: platform, chat },
    createdAt: new Date().toISOString(),
    status: 'ok',
    message: { role: 'assistant', content: text },
    model: 'gateway',
    finishReason: 'stop',
    usage: { inputTokens: 0, outputTokens: 0 },
  };
}

/** What the adapters answer to a message they cannot read. */
export const cannotRead = (what: string) => `I can read text messages only, so I can't open ${what}. Please type your message instead.`;

/** What the adapters answer to a message longer than a job may carry. */
export const tooLong = (chars: number) =>
  `That message is too long for me: ${chars.toLocaleString('en-US')} characters, and I read at most ${maxMessageChars.toLocaleString('en-US')}. Please send it in shorter parts.`;

/**
 * The note for a job whose text is over the job contract's limit, undefined when it fits. No chat
 * platform sends such a message (their own limits are far lower), but a broken or forged sender could:
 * refused by the queue, it would be retried for ever; answered with this, it is done.
 */
export function oversizedNote(job: InboundJobInput): string | undefined {
  const longest = Math.max(0, ...job.input.messages.map((message) => message.content.length));
  return longest > maxMessageChars ? tooLong(longest) : undefined;
}
