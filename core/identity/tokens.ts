import { createSecretKey, type KeyObject } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import { JwtRejected, signHs256, verifyHs256 } from './hs256-jwt.ts';
import { platformSchema, type Platform } from '../contracts/job.ts';
import { GatewayError } from '../errors/gateway-error.ts';

const issuer = 'chat-gateway';
/** Separate audiences: an API token cannot pass as a job token, nor the reverse. */
const apiAudience = 'chat-gateway:api';
const jobAudience = 'chat-gateway:job';
/** Pinned, so `alg: none` and algorithm confusion are refused by construction. */
const algorithms = ['HS256'];

/** jose re-imports raw key bytes on every call; a KeyObject made once per key spares that on each request. */
const keyObjects = new WeakMap<Uint8Array, KeyObject>();
function keyObject(key: Uint8Array): KeyObject {
  let object = keyObjects.get(key);
  if (!object) {
    object = createSecretKey(key);
    keyObjects.set(key, object);
  }
  return object;
}

export const tokenRoleSchema = z.enum(['admin', 'user']);
export type TokenRole = z.infer<typeof tokenRoleSchema>;

export interface ApiPrincipal {
  subject: string;
  role: TokenRole;
  /** Set when the caller came with an API key: which one, and the models it may call (null: any). */
  apiKey?: { id: string; models: string[] | null };
}

/** Subjects of this form are API keys' identities (see api-keys.ts); no token may claim one. */
export const isKeySubject = (subject: string) => subject.startsWith('key:');

export interface MintApiTokenOptions {
  /** Lifetime in seconds. Default: 30 days. */
  expiresInSeconds?: number;
}

export async function mintApiToken(key: Uint8Array, principal: ApiPrincipal, options: MintApiTokenOptions = {}) {
  const { expiresInSeconds = 30 * 24 * 3600 } = options;
  return new SignJWT({ role: principal.role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(issuer)
    .setAudience(apiAudience)
    .setSubject(principal.subject)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + expiresInSeconds)
    .sign(keyObject(key));
}

const apiClaims = z.object({ sub: z.string().min(1).max(200).refine((sub) => !isKeySubject(sub)), role: tokenRoleSchema });

/** Verifies a bearer token from the HTTP API; every failure is a 401 whose message says what to do. */
export async function verifyApiToken(key: Uint8Array, token: string | undefined): Promise<ApiPrincipal> {
  if (!token) {
    throw new GatewayError(
      'missing_token',
      'No token provided. Send "Authorization: Bearer <token>"; `npm run -s token -- --user <name>` prints one.',
    );
  }
  const payload = await verify(key, token, apiAudience);
  const claims = apiClaims.safeParse(payload);
  if (!claims.success) throw new GatewayError('invalid_token', 'The token lacks a valid subject or role.');
  return { subject: claims.data.sub, role: claims.data.role };
}

/** The verified sender of one job, as the adapter that received it asserts. */
export interface JobIdentity {
  platform: Platform;
  externalId: string;
  /** A role the adapter vouches for (an API token's role); chat platforms leave it to the store. */
  role?: TokenRole;
}

export interface MintJobTokenOptions {
  /**
   * Lifetime in seconds. Default: 1 hour, long enough for a queue backlog and retries, short enough that
   * a token lifted from Redis is soon worthless; it is also bound to its one job id.
   */
  expiresInSeconds?: number;
}

/** Minted for every message, so synchronous: see hs256-jwt.ts for why not jose here. */
export function mintJobToken(key: Uint8Array, jobId: string, identity: JobIdentity, options: MintJobTokenOptions = {}): string {
  const { expiresInSeconds = 3600 } = options;
  const now = Math.floor(Date.now() / 1000);
  return signHs256(keyObject(key), {
    platform: identity.platform,
    ...(identity.role ? { role: identity.role } : {}),
    iss: issuer,
    aud: jobAudience,
    sub: identity.externalId,
    jti: jobId,
    iat: now,
    exp: now + expiresInSeconds,
  });
}

const jobClaims = z.object({
  sub: z.string().min(1),
  jti: z.string().min(1),
  platform: platformSchema,
  role: tokenRoleSchema.optional(),
});

/** Verifies a job's identity token and that it was minted for this very job. */
export function verifyJobToken(key: Uint8Array, token: string, jobId: string): JobIdentity {
  let payload;
  try {
    payload = verifyHs256(keyObject(key), token, { issuer, audience: jobAudience });
  } catch (error) {
    if (error instanceof JwtRejected && error.reason === 'expired') throw new GatewayError('token_expired', 'The job token has expired.', { cause: error });
    throw new GatewayError('invalid_token', 'The identity token is malformed, forged, or for another audience.', { cause: error });
  }
  const claims = jobClaims.safeParse(payload);
  if (!claims.success || claims.data.jti !== jobId) {
    throw new GatewayError('invalid_token', 'The identity token was not minted for this job.');
  }
  const { sub, platform, role } = claims.data;
  return role ? { platform, externalId: sub, role } : { platform, externalId: sub };
}

/** Seconds of clock difference forgiven between whoever minted a token and this process. */
const clockToleranceSeconds = 5;

export interface JwtChecks {
  issuer: string;
  audience: string;
  /** The only algorithms accepted: pinned, so `alg: none` and algorithm confusion fail. */
  algorithms: string[];
  /** What a person reads when the token has expired, and when it is wrong in any other way. */
  words: { expired: string; invalid: string };
}

/**
 * One JWT check for the gateway's own tokens and an identity provider's alike: jose's (signature,
 * algorithm, issuer, audience, `exp`, `nbf`), and what jose leaves unchecked unless asked. A token must
 * expire (a stolen one without `exp` would work for ever), and one "issued" in the future was minted by
 * a skewed or forged clock to outlive its stated lifetime.
 */
export async function verifyJwt(token: string, key: KeyObject | JWTVerifyGetKey, { issuer, audience, algorithms, words }: JwtChecks): Promise<JWTPayload> {
  const options = { issuer, audience, algorithms, requiredClaims: ['exp'], clockTolerance: clockToleranceSeconds };
  let payload: JWTPayload;
  try {
    ({ payload } = typeof key === 'function' ? await jwtVerify(token, key, options) : await jwtVerify(token, key, options));
  } catch (error) {
    if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'exp' && error.reason === 'missing') {
      throw new GatewayError('invalid_token', 'The token has no expiry (exp): tokens that never expire are refused.', { cause: error });
    }
    if (error instanceof joseErrors.JWTExpired) throw new GatewayError('token_expired', words.expired, { cause: error });
    throw new GatewayError('invalid_token', words.invalid, { cause: error });
  }
  if (typeof payload.iat === 'number' && payload.iat > Date.now() / 1000 + clockToleranceSeconds) {
    throw new GatewayError('invalid_token', 'The token claims to be issued in the future; check the clock of whatever minted it.');
  }
  return payload;
}

const verify = (key: Uint8Array, token: string, audience: string) =>
  verifyJwt(token, keyObject(key), {
    issuer,
    audience,
    algorithms,
    words: { expired: 'The token has expired. Get a new one with `npm run -s token`.', invalid: 'The token is invalid: it is malformed, forged, or for another audience.' },
  });
