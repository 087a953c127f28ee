export { loadJwtSecret, jwtSecretFileName } from './jwt-secret.ts';
export { createTokenVerifier, type ExternalJwtOptions, type TokenVerifier } from './token-verifier.ts';
export {
  mintApiToken,
  verifyApiToken,
  mintJobToken,
  verifyJobToken,
  tokenRoleSchema,
  type ApiPrincipal,
  type JobIdentity,
  type TokenRole,
} from './tokens.ts';
