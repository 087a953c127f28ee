import { createServer, type Server } from 'node:http';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatformProcess, type PlatformProcess } from './helpers/platform.ts';

/** A stand-in identity provider: its key pair, and its JWKS served on loopback as a real one would be. */
let idp: Server;
let jwksUrl: string;
let privateKey: CryptoKey;
let publicKey: CryptoKey;
let platform: PlatformProcess;
const issuer = 'https://idp.example.test/';
const audience = 'chat-gateway-test';

beforeAll(async () => {
  ({ privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true }));
  const jwk = { ...(await exportJWK(publicKey)), kid: 'idp-key-1', alg: 'RS256', use: 'sig' };
  idp = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
  await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
  const address = idp.address();
  jwksUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/.well-known/jwks.json`;
  platform = await startPlatformProcess({ JWT_JWKS_URL: jwksUrl, JWT_ISSUER: issuer, JWT_AUDIENCE: audience });
}, 60_000);
afterAll(async () => {
  await platform?.stop();
  idp?.close();
});

const now = () => Math.floor(Date.now() / 1000);
const idpToken = (claims: JWTPayload = {}, key: CryptoKey = privateKey) =>
  new SignJWT({ sub: 'sso|alice', iss: issuer, aud: audience, iat: now(), exp: now() + 300, ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: 'idp-key-1' })
    .sign(key);
const models = async (token: string) => {
  const response = await fetch(`${platform.url}/v1/models`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, code: response.ok ? undefined : ((await response.json()) as { error: { code: string } }).error.code };
};

describe('tokens from an identity provider (JWT_JWKS_URL)', () => {
  it('are accepted when signed by its published key for this issuer and audience, beside the gateway\'s own', async () => {
    expect(await models(await idpToken())).toEqual({ status: 200, code: undefined });
    expect(await models(platform.token('local-user'))).toEqual({ status: 200, code: undefined });
    const answer = await fetch(`${platform.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await idpToken()}` },
      body: JSON.stringify({ model: 'offline', messages: [{ role: 'user', content: 'hello' }] }),
    });
    expect(answer.status).toBe(200);
  });

  it('are refused when expired, never expiring, issued or valid only in the future, for another issuer or audience, or signed by another key', async () => {
    expect(await models(await idpToken({ exp: now() - 60 }))).toEqual({ status: 401, code: 'token_expired' });
    expect(await models(await idpToken({ nbf: now() + 300 }))).toEqual({ status: 401, code: 'invalid_token' });
    expect(await models(await idpToken({ iss: 'https://evil.example/' }))).toEqual({ status: 401, code: 'invalid_token' });
    expect(await models(await idpToken({ aud: 'another-app' }))).toEqual({ status: 401, code: 'invalid_token' });
    expect(await models(await idpToken({ sub: undefined }))).toEqual({ status: 401, code: 'invalid_token' });
    // What jose lets through unless asked: a token that never expires, and one issued in the future.
    expect(await models(await idpToken({ exp: undefined }))).toEqual({ status: 401, code: 'invalid_token' });
    expect(await models(await idpToken({ iat: now() + 300 }))).toEqual({ status: 401, code: 'invalid_token' });
    const stranger = await generateKeyPair('RS256');
    expect(await models(await idpToken({}, stranger.privateKey))).toEqual({ status: 401, code: 'invalid_token' });
  });

  it('refuse alg none and algorithm confusion (HS256 signed with the public key)', async () => {
    const unsigned = new UnsecuredJWT({ sub: 'sso|mallory', role: 'admin' }).setIssuer(issuer).setAudience(audience).setExpirationTime('5m').encode();
    expect(await models(unsigned)).toEqual({ status: 401, code: 'invalid_token' });
    const publicPem = new TextEncoder().encode(await exportSPKI(publicKey));
    const confused = await new SignJWT({ sub: 'sso|mallory', role: 'admin', iss: issuer, aud: audience })
      .setProtectedHeader({ alg: 'HS256', kid: 'idp-key-1' })
      .setExpirationTime('5m')
      .sign(publicPem);
    expect(await models(confused)).toEqual({ status: 401, code: 'invalid_token' });
    expect(await models('not.a.token')).toEqual({ status: 401, code: 'invalid_token' });
  });
});
