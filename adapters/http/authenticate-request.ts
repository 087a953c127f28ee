import type { FastifyRequest } from 'fastify';
import { isApiKey } from '../../core/identity/api-keys.ts';
import type { ApiPrincipal } from '../../core/identity/tokens.ts';

/** Checks a bearer credential (a token or an API key) presented with `request`. */
export type RequestVerifier = (credential: string | undefined, request: FastifyRequest) => Promise<ApiPrincipal>;

/** Verified tokens, remembered briefly per verifier: a client sends the same one with every request. */
const verifiedBy = new WeakMap<RequestVerifier, Map<string, { principal: ApiPrincipal; until: number }>>();
const rememberMs = 60_000;
const maxRemembered = 10_000;

/** The bearer credential of `Authorization: Bearer <credential>`, if well-formed. */
export const bearerOf = (request: FastifyRequest) => request.headers.authorization?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];

/**
 * The principal behind `Authorization: Bearer <credential>`; throws a 401 GatewayError otherwise. A
 * token verified in the last minute is not verified again, and never past its own expiry. API keys
 * are not remembered here: revocation must reach them, and their verifier keeps its own short cache.
 */
export async function authenticateRequest(request: FastifyRequest, verify: RequestVerifier): Promise<ApiPrincipal> {
  const token = bearerOf(request);
  if (!token || isApiKey(token)) return verify(token, request);
  const now = Date.now();
  let verified = verifiedBy.get(verify);
  if (!verified) verifiedBy.set(verify, (verified = new Map()));
  const known = verified.get(token);
  if (known && known.until > now) return known.principal;
  const principal = await verify(token, request);
  if (verified.size >= maxRemembered) verified.clear();
  verified.set(token, { principal, until: Math.min(now + rememberMs, expiryOf(token)) });
  return principal;
}

/** The token's `exp` in ms; it was just verified, so its payload is well-formed. */
function expiryOf(token: string): number {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { exp?: number };
  return (payload.exp ?? 0) * 1000;
}
