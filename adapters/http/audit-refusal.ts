import type { FastifyRequest } from 'fastify';
import { toGatewayError } from '../../core/errors/gateway-error.ts';
import type { Accounts } from '../../core/identity/accounts.ts';
import { isApiKey } from '../../core/identity/api-keys.ts';

/** What kind of credential was refused; the credential itself never leaves this function. */
const kindOf = (credential: string | undefined) => (!credential ? 'none' : isApiKey(credential) ? 'api_key' : 'token');

/** Audits a refused HTTP credential: the code, the route, the caller's address and the kind of credential. */
export async function auditRefusal(accounts: Accounts, request: FastifyRequest, credential: string | undefined, error: unknown) {
  await accounts.auditUnidentified(request.id, 'http.authenticate', {
    errorCode: toGatewayError(error).code,
    method: request.method,
    route: request.routeOptions.url ?? request.url.split('?')[0],
    ip: request.ip,
    credential: kindOf(credential),
  });
}
