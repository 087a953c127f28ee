import { createHmac, timingSafeEqual, type KeyObject } from 'node:crypto';

/**
 * Compact HS256 JWTs on node:crypto's synchronous HMAC. jose signs and verifies through WebCrypto,
 * whose every call is a round trip through libuv's thread pool; job tokens are minted and verified
 * once per message each, on the hot path, so they use this instead. The format is plain RFC 7519
 * (jose verifies what this mints and the reverse, as the tests show); only HS256 is accepted, so
 * `alg: none` and algorithm confusion are refused by construction.
 */

const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

export type JwtClaims = Record<string, unknown> & { iss?: string; aud?: string; sub?: string; exp?: number; nbf?: number; iat?: number };

export function signHs256(key: KeyObject, claims: JwtClaims): string {
  const signingInput = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${signingInput}.${createHmac('sha256', key).update(signingInput).digest('base64url')}`;
}

export type JwtFailure = 'malformed' | 'signature' | 'expired' | 'claims';

export class JwtRejected extends Error {
  readonly reason: JwtFailure;
  constructor(reason: JwtFailure, message: string) {
    super(message);
    this.name = 'JwtRejected';
    this.reason = reason;
  }
}

export interface VerifyHs256Options {
  issuer: string;
  audience: string;
  /** Seconds of clock skew allowed on `exp`, `nbf` and `iat`. Default: 5. */
  clockToleranceSeconds?: number;
  /** Default: the current time. */
  nowSeconds?: number;
}

/** The claims of a token this key signed with HS256 for `issuer` and `audience`, still valid now. */
export function verifyHs256(key: KeyObject, token: string, options: VerifyHs256Options): JwtClaims {
  const { issuer, audience, clockToleranceSeconds = 5, nowSeconds = Date.now() / 1000 } = options;
  const parts = token.split('.');
  if (parts.length !== 3) throw new JwtRejected('malformed', 'not a compact JWS');
  const [encodedHeader, encodedPayload, signature] = parts as [string, string, string];
  let protectedHeader: unknown;
  let claims: unknown;
  try {
    protectedHeader = JSON.parse(Buffer.from(encodedHeader, 'base64url').toString());
    claims = JSON.parse(Buffer.from(encodedPayload, 'base64url').toString());
  } catch {
    throw new JwtRejected('malformed', 'header or payload is not base64url JSON');
  }
  if (!isObject(protectedHeader) || protectedHeader.alg !== 'HS256' || 'crit' in protectedHeader) {
    throw new JwtRejected('malformed', 'only HS256 without critical extensions is accepted');
  }
  const expected = createHmac('sha256', key).update(`${encodedHeader}.${encodedPayload}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new JwtRejected('signature', 'signature mismatch');
  if (!isObject(claims)) throw new JwtRejected('malformed', 'payload is not an object');
  const { iss, aud, exp, nbf, iat } = claims;
  if (iss !== issuer) throw new JwtRejected('claims', 'unexpected issuer');
  if (!(aud === audience || (Array.isArray(aud) && aud.includes(audience)))) throw new JwtRejected('claims', 'unexpected audience');
  if (typeof exp !== 'number') throw new JwtRejected('claims', 'no expiry');
  if (exp <= nowSeconds - clockToleranceSeconds) throw new JwtRejected('expired', 'expired');
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > nowSeconds + clockToleranceSeconds)) throw new JwtRejected('claims', 'not yet valid');
  if (iat !== undefined && (typeof iat !== 'number' || iat > nowSeconds + clockToleranceSeconds)) throw new JwtRejected('claims', 'issued in the future');
  return claims as JwtClaims;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
