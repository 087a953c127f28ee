import type { FastifyRequest } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTokenVerifier } from '../../core/identity/token-verifier.ts';
import { mintApiToken } from '../../core/identity/tokens.ts';
import { authenticateRequest } from './authenticate-request.ts';

const keyA = new TextEncoder().encode('a'.repeat(32));
const keyB = new TextEncoder().encode('b'.repeat(32));
const verifyA = createTokenVerifier(keyA);
const verifyB = createTokenVerifier(keyB);
const requestWith = (token: string) => ({ headers: { authorization: `Bearer ${token}` } }) as FastifyRequest;

describe('authenticateRequest', () => {
  it('remembers a verified token only for the verifier (the key) that verified it', async () => {
    const token = await mintApiToken(keyA, { subject: 'alice', role: 'user' });
    await expect(authenticateRequest(requestWith(token), verifyA)).resolves.toEqual({ subject: 'alice', role: 'user' });
    await expect(authenticateRequest(requestWith(token), verifyA)).resolves.toEqual({ subject: 'alice', role: 'user' });
    await expect(authenticateRequest(requestWith(token), verifyB)).rejects.toMatchObject({ code: 'invalid_token' });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('never remembers a token past its expiry', async () => {
    const token = await mintApiToken(keyA, { subject: 'bob', role: 'user' }, { expiresInSeconds: 30 });
    await expect(authenticateRequest(requestWith(token), verifyA)).resolves.toMatchObject({ subject: 'bob' });
    // Past the expiry and the verifier's 5 s clock tolerance, though well within the cache's minute.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 40_000);
    await expect(authenticateRequest(requestWith(token), verifyA)).rejects.toMatchObject({ code: 'token_expired' });
  });
});
