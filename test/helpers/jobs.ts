import { randomUUID } from 'node:crypto';
import type { InboundJobInput, Platform } from '../../core/contracts/job.ts';
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
