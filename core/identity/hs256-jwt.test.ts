import { describe, expect, it } from 'vitest';
import { createSecretKey } from 'node:crypto';
import { jwtVerify, SignJWT, UnsecuredJWT } from 'jose';
import { JwtRejected, signHs256, verifyHs256, type JwtFailure } from './hs256-jwt.ts';

const key = createSecretKey(Buffer.from('k'.repeat(32)));
const otherKey = createSecretKey(Buffer.from('o'.repeat(32)));
const now = Math.floor(Date.now() / 1000);
const claims = { iss: 'issuer', aud: 'audience', sub: 'alice', iat: now, exp: now + 60, platform: 'http' };
const expected = { issuer: 'issuer', audience: 'audience' };

const reasonOf = (work: () => unknown): JwtFailure | 'ok' => {
  try {
    work();
    return 'ok';
  } catch (error) {
    if (error instanceof JwtRejected) return error.reason;
    throw error;
  }
};

describe('HS256 JWTs on node:crypto', () => {
  it('mint tokens jose verifies, and verify tokens jose mints', async () => {
    const ours = signHs256(key, claims);
    const { payload } = await jwtVerify(ours, key, { ...expected, algorithms: ['HS256'] });
    expect(payload).toEqual(claims);

    const theirs = await new SignJWT({ platform: 'http' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('issuer')
      .setAudience(['other', 'audience'])
      .setSubject('alice')
      .setExpirationTime('1m')
      .sign(key);
    expect(verifyHs256(key, theirs, expected)).toMatchObject({ sub: 'alice', platform: 'http' });
  });

  it('refuse forged, tampered, unsigned and other-algorithm tokens', async () => {
    expect(reasonOf(() => verifyHs256(key, signHs256(otherKey, claims), expected))).toBe('signature');
    const [head, , signature] = signHs256(key, claims).split('.');
    const tampered = `${head}.${Buffer.from(JSON.stringify({ ...claims, sub: 'mallory' })).toString('base64url')}.${signature}`;
    expect(reasonOf(() => verifyHs256(key, tampered, expected))).toBe('signature');
    const unsigned = new UnsecuredJWT(claims).encode();
    expect(reasonOf(() => verifyHs256(key, unsigned, expected))).toBe('malformed');
    const hs512 = await new SignJWT(claims).setProtectedHeader({ alg: 'HS512' }).sign(createSecretKey(Buffer.from('k'.repeat(64))));
    expect(reasonOf(() => verifyHs256(key, hs512, expected))).toBe('malformed');
    for (const junk of ['', 'a.b', 'a.b.c', '...', 'x'.repeat(20)]) expect(reasonOf(() => verifyHs256(key, junk, expected))).toBe('malformed');
  });

  it('check issuer, audience and the token lifetime with a little clock tolerance', () => {
    expect(reasonOf(() => verifyHs256(key, signHs256(key, claims), { ...expected, issuer: 'other' }))).toBe('claims');
    expect(reasonOf(() => verifyHs256(key, signHs256(key, claims), { ...expected, audience: 'other' }))).toBe('claims');
    expect(reasonOf(() => verifyHs256(key, signHs256(key, { ...claims, exp: undefined }), expected))).toBe('claims');
    expect(reasonOf(() => verifyHs256(key, signHs256(key, { ...claims, exp: now - 60 }), expected))).toBe('expired');
    expect(reasonOf(() => verifyHs256(key, signHs256(key, { ...claims, exp: now - 2 }), expected))).toBe('ok');
    expect(reasonOf(() => verifyHs256(key, signHs256(key, { ...claims, nbf: now + 60 }), expected))).toBe('claims');
    expect(reasonOf(() => verifyHs256(key, signHs256(key, { ...claims, iat: now + 60 }), expected))).toBe('claims');
  });
});
