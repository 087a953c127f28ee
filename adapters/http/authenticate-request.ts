import type { FastifyRequest } from 'fastify';
import type { TokenVerifier } from '../../core/identity/token-verifier.ts';
import type { ApiPrincipal } from '../../core/identity/tokens.ts';

/** Verified tokens, remembered briefly per verifier: a client sends the same one with every request. */
const verifiedBy = new WeakMap<TokenVerifier, Map<string, { principal: ApiPrincipal; until: number }>>();
const rememberMs = 60_000;
const maxRemembered = 10_000;

/**
 * The principal behind `Authorization: Bearer <token>`; throws a 401 GatewayError otherwise. A token
 * verified in the last minute is not verified again, and never past its own expiry.
 */
export async function authenticateRequest(request: FastifyRequest, verify: TokenVerifier): Promise<ApiPrincipal> {
  const header = request.headers.authorization;
  const token = header?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
  const now = Date.now();
  let verified = verifiedBy.get(verify);
  if (!verified) verifiedBy.set(verify, (verified = new Map()));
  const known = token ? verified.get(token) : undefined;
  if (known && known.until > now) return known.principal;
  const principal = await verify(token);
  if (token) {
    if (verified.size >= maxRemembered) verified.clear();
    verified.set(token, { principal, until: Math.min(now + rememberMs, expiryOf(token)) });
  }
  return principal;
}

/** The token's `exp` in ms; it was just verified, so its payload is well-formed. */
function expiryOf(token: string): number {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { exp?: number };
  return (payload.exp ?? 0) * 1000;
}
