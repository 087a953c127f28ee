import { createRemoteJWKSet, decodeProtectedHeader } from 'jose';
import { GatewayError } from '../errors/gateway-error.ts';
import { isApiKey, type ApiKeys } from './api-keys.ts';
import { isKeySubject, verifyApiToken, verifyJwt, type ApiPrincipal } from './tokens.ts';

export interface ExternalJwtOptions {
  /** Where the identity provider publishes its public keys (JWT_JWKS_URL). */
  jwksUrl: string;
  /** The `iss` its tokens must carry (JWT_ISSUER). */
  issuer: string;
  /** The `aud` its tokens must carry (JWT_AUDIENCE). */
  audience: string;
}

/** Asymmetric algorithms only: an HS256 token is ours, checked with our own key, never with a public one. */
const externalAlgorithms = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

const invalid = 'The token is invalid: malformed, forged, not yet valid, or for another issuer or audience.';

export type TokenVerifier = (token: string | undefined) => Promise<ApiPrincipal>;

/**
 * Verifies bearer tokens: the gateway's own HS256 tokens (`npm run token`) with its key and, when an
 * identity provider is configured, that provider's tokens against its published keys, issuer and
 * audience. Which check applies follows from the token's algorithm, and each check pins its own
 * algorithms, so `alg: none` and algorithm confusion (an HS256 token signed with the public key) fail.
 */
export function createTokenVerifier(key: Uint8Array, external?: ExternalJwtOptions, apiKeys?: Pick<ApiKeys, 'verify'>): TokenVerifier {
  const verifyJwt = external ? externalVerifier(key, external) : (token: string | undefined) => verifyApiToken(key, token);
  return async (token) => {
    if (!token || !isApiKey(token)) return verifyJwt(token);
    if (!apiKeys) throw new GatewayError('invalid_api_key', 'This endpoint does not take API keys.');
    const { key: apiKey, user } = await apiKeys.verify(token);
    return { subject: `key:${apiKey.id}`, role: user.role === 'admin' ? 'admin' : 'user', apiKey: { id: apiKey.id, models: apiKey.models } };
  };
}

/** The gateway's own tokens and the identity provider's, told apart by algorithm. */
function externalVerifier(key: Uint8Array, external: ExternalJwtOptions): TokenVerifier {
  const keys = createRemoteJWKSet(new URL(external.jwksUrl));
  return async (token) => {
    if (!token || algorithmOf(token) === 'HS256') return verifyApiToken(key, token);
    const payload = await verifyJwt(token, keys, {
      issuer: external.issuer,
      audience: external.audience,
      algorithms: externalAlgorithms,
      words: { expired: 'The token has expired; get a new one from your identity provider.', invalid },
    });
    if (typeof payload.sub !== 'string' || !/^\S{1,200}$/.test(payload.sub) || isKeySubject(payload.sub)) {
      throw new GatewayError('invalid_token', 'The token names no subject.');
    }
    // The provider may make someone an admin with a `role` claim; anything else is a user.
    return { subject: payload.sub, role: payload.role === 'admin' ? 'admin' : 'user' };
  };
}

function algorithmOf(token: string): unknown {
  try {
    return decodeProtectedHeader(token).alg;
  } catch {
    throw new GatewayError('invalid_token', invalid);
  }
}
