import type { FastifyRequest } from 'fastify';
import { verifyApiToken, type ApiPrincipal } from '../../core/identity/tokens.ts';

/** The principal behind `Authorization: Bearer <token>`; throws a 401 GatewayError otherwise. */
export async function authenticateRequest(request: FastifyRequest, jwtKey: Uint8Array): Promise<ApiPrincipal> {
  const header = request.headers.authorization;
  const token = header?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
  return verifyApiToken(jwtKey, token);
}
