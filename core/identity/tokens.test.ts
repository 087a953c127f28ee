import { SignJWT, UnsecuredJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { mintApiToken, mintJobToken, verifyApiToken, verifyJobToken } from './tokens.ts';

const key = new TextEncoder().encode('k'.repeat(32));
const otherKey = new TextEncoder().encode('o'.repeat(32));

const codeOf = (promise: Promise<unknown>) => promise.then(() => 'ok', (error: { code?: string }) => error.code);
const syncCodeOf = (work: () => unknown) => {
  try {
    work();
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code;
  }
};

describe('API tokens', () => {
  it('round-trip subject and role', async () => {
    const token = await mintApiToken(key, { subject: 'alice', role: 'admin' });
    await expect(verifyApiToken(key, token)).resolves.toEqual({ subject: 'alice', role: 'admin' });
  });

  it('refuse a missing, forged, expired or unsigned token with distinct codes', async () => {
    expect(await codeOf(verifyApiToken(key, undefined))).toBe('missing_token');
    expect(await codeOf(verifyApiToken(key, 'not-a-jwt'))).toBe('invalid_token');
    const forged = await mintApiToken(otherKey, { subject: 'alice', role: 'admin' });
    expect(await codeOf(verifyApiToken(key, forged))).toBe('invalid_token');
    const expired = await mintApiToken(key, { subject: 'alice', role: 'user' }, { expiresInSeconds: -60 });
    expect(await codeOf(verifyApiToken(key, expired))).toBe('token_expired');
    const unsigned = new UnsecuredJWT({ role: 'admin' })
      .setIssuer('chat-gateway')
      .setAudience('chat-gateway:api')
      .setSubject('mallory')
      .encode();
    expect(await codeOf(verifyApiToken(key, unsigned))).toBe('invalid_token');
  });

  it('refuse a token that never expires, was issued or becomes valid in the future, names another issuer, or uses another algorithm', async () => {
    const claims = (payload: Record<string, unknown>, alg = 'HS256') =>
      new SignJWT({ role: 'admin', ...payload }).setProtectedHeader({ alg }).setIssuer('chat-gateway').setAudience('chat-gateway:api').setSubject('mallory');
    const now = Math.floor(Date.now() / 1000);
    const refusal = (promise: Promise<unknown>) => promise.then(() => 'accepted', (error: { code: string; message: string }) => `${error.code}: ${error.message}`);
    expect(await refusal(verifyApiToken(key, await claims({}).sign(key)))).toBe('invalid_token: The token has no expiry (exp): tokens that never expire are refused.');
    expect(await refusal(verifyApiToken(key, await claims({}).setIssuedAt(now + 300).setExpirationTime(now + 3600).sign(key)))).toMatch(/^invalid_token: The token claims to be issued in the future/);
    expect(await codeOf(verifyApiToken(key, await claims({}).setNotBefore(now + 300).setExpirationTime(now + 3600).sign(key)))).toBe('invalid_token');
    expect(await codeOf(verifyApiToken(key, await claims({}).setIssuer('someone-else').setExpirationTime('1h').sign(key)))).toBe('invalid_token');
    expect(await codeOf(verifyApiToken(key, await claims({}, 'HS512').setExpirationTime('1h').sign(new TextEncoder().encode('k'.repeat(64)))))).toBe('invalid_token');
    // Within the clock tolerance, a token minted a moment "ahead" by a skewed clock still works.
    expect(await refusal(verifyApiToken(key, await claims({}).setIssuedAt(now + 3).setExpirationTime(now + 3600).sign(key)))).toBe('accepted');
  });

  it('refuse a job token presented as an API token', async () => {
    const jobToken = mintJobToken(key, 'http-1', { platform: 'http', externalId: 'alice' });
    expect(await codeOf(verifyApiToken(key, jobToken))).toBe('invalid_token');
  });

  it('refuse a well-signed token without a role', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('chat-gateway')
      .setAudience('chat-gateway:api')
      .setSubject('alice')
      .setExpirationTime('1h')
      .sign(key);
    expect(await codeOf(verifyApiToken(key, token))).toBe('invalid_token');
  });
});

describe('job tokens', () => {
  it('are bound to their job id', async () => {
    const token = mintJobToken(key, 'http-1', { platform: 'http', externalId: 'alice', role: 'user' });
    expect(verifyJobToken(key, token, 'http-1')).toEqual({ platform: 'http', externalId: 'alice', role: 'user' });
    expect(syncCodeOf(() => verifyJobToken(key, token, 'http-2'))).toBe('invalid_token');
    expect(syncCodeOf(() => verifyJobToken(otherKey, token, 'http-1'))).toBe('invalid_token');
  });

  it('expire', () => {
    const token = mintJobToken(key, 'http-1', { platform: 'http', externalId: 'alice' }, { expiresInSeconds: -60 });
    expect(syncCodeOf(() => verifyJobToken(key, token, 'http-1'))).toBe('token_expired');
  });

  it('refuse an API token presented as a job token', async () => {
    const apiToken = await mintApiToken(key, { subject: 'alice', role: 'admin' });
    expect(syncCodeOf(() => verifyJobToken(key, apiToken, 'http-1'))).toBe('invalid_token');
  });
});
