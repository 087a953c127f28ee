import { randomUUID } from 'node:crypto';
import type { InboundJobInput } from '../../core/contracts/job.ts';
import { mintJobToken } from '../../core/identity/tokens.ts';

export const testKey = new TextEncoder().encode('test-secret-'.padEnd(40, 'x'));

/** A valid InboundJob as the HTTP adapter would build it, with a real identity token. */
export async function httpJob(options: { id?: string; conversationId?: string; text?: string; user?: string; address?: string } = {}) {
  const id = options.id ?? `http-${randomUUID()}`;
  const user = options.user ?? 'alice';
  const job: InboundJobInput = {
    v: 1,
    id,
    requestId: `req_${randomUUID()}`,
    source: { platform: 'http', eventId: id, receivedAt: new Date().toISOString() },
    conversationId: options.conversationId ?? `conv-${id}`,
    identityToken: mintJobToken(testKey, id, { platform: 'http', externalId: user, role: 'user' }),
    replyTo: { adapter: 'http', ...(options.address ? { address: options.address } : {}) },
    input: { messages: [{ role: 'user', content: options.text ?? 'hello' }] },
  };
  return job;
}
