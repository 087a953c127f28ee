import { randomUUID } from 'node:crypto';
import type { InboundJobInput, Platform, ReplyTo } from '../../core/contracts/job.ts';
import type { JobOutcome } from '../../core/pipeline/run-job.ts';
import { mintJobToken } from '../../core/identity/tokens.ts';

export const testKey = new TextEncoder().encode('test-secret-'.padEnd(40, 'x'));

/** A valid InboundJob as the HTTP adapter (or, with `platform`, a chat adapter) would build it, with a real identity token. */
export async function httpJob(options: { id?: string; conversationId?: string; text?: string; user?: string; address?: string; platform?: Platform; direct?: boolean; model?: string } = {}) {
  const platform = options.platform ?? 'http';
  const id = options.id ?? `${platform}-${randomUUID()}`;
  const user = options.user ?? 'alice';
  const job: InboundJobInput = {
    v: 1,
    id,
    requestId: `req_${randomUUID()}`,
    source: { platform, eventId: id, receivedAt: new Date().toISOString(), ...(options.direct === undefined ? {} : { direct: options.direct }) },
    conversationId: options.conversationId ?? `conv-${id}`,
    identityToken: mintJobToken(testKey, id, { platform, externalId: user, ...(platform === 'http' ? { role: 'user' as const } : {}) }),
    replyTo: { adapter: platform, ...(options.address ? { address: options.address } : {}) },
    input: { messages: [{ role: 'user', content: options.text ?? 'hello' }] },
    ...(options.model ? { request: { model: options.model } } : {}),
  };
  return job;
}

/** What a job runner returns for a plain answer `content` to `job`, as the pipeline's reply step would. */
export function okReply(job: { id: string; requestId: string; conversationId: string }, content: string, replyTo: ReplyTo = { adapter: 'http' }): JobOutcome {
  return {
    kind: 'reply',
    reply: {
      v: 1,
      status: 'ok',
      jobId: job.id,
      requestId: job.requestId,
      conversationId: job.conversationId,
      replyTo,
      createdAt: new Date().toISOString(),
      message: { role: 'assistant', content },
      model: 'test',
      finishReason: 'stop',
      usage: { inputTokens: 0, outputTokens: 0 },
    },
  };
}
