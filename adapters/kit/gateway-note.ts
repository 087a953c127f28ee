import { randomUUID } from 'node:crypto';
import type { Platform } from '../../core/contracts/job.ts';
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
