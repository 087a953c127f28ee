import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { GatewayError } from '../../../core/errors/gateway-error.ts';
import { updateUserSchema, type Accounts } from '../../../core/identity/accounts.ts';
import { identityRef, parseIdentity, type Actor } from '../../../core/identity/actor.ts';
import { formatCode } from '../../../core/identity/one-time-code.ts';
import { linkCodeSchema, pendingListSchema, userListSchema, userViewSchema } from '../accounts-schemas.ts';

export interface AccountRoutesOptions {
  accounts: Accounts;
  /** The authenticated caller as the internal user they are; refuses blocked users. */
  actorOf: (request: FastifyRequest) => Promise<Actor>;
}

const userParams = z.object({ user: z.string().min(1).max(220) });
const codeParams = z.object({ code: z.string().min(1).max(20) });

/**
 * Users, identity linking and pairing over HTTP: the same operations, checks and audit records as the
 * chat commands, for scripts and the web page. `me` names the caller in `{user}`.
 */
export const accountRoutes: FastifyPluginAsyncZod<AccountRoutesOptions> = async (app, { accounts, actorOf }) => {
  const refOf = (actor: Actor, ref: string) => (ref === 'me' ? actor.user.id : ref);

  app.get('/v1/users', { schema: { response: { 200: userListSchema } } }, async (request) => ({
    object: 'list' as const,
    data: await accounts.listUsers(await actorOf(request)),
  }));

  app.get('/v1/users/:user', { schema: { params: userParams, response: { 200: userViewSchema } } }, async (request) => {
    const actor = await actorOf(request);
    return accounts.getUser(actor, refOf(actor, request.params.user));
  });

  app.patch('/v1/users/:user', { schema: { params: userParams, body: updateUserSchema, response: { 200: userViewSchema } } }, async (request) => {
    const actor = await actorOf(request);
    return accounts.updateUser(actor, refOf(actor, request.params.user), request.body);
  });

  app.post(
    '/v1/users/:user/identities',
    { schema: { params: userParams, body: z.object({ identity: z.string().min(3).max(220) }).strict(), response: { 200: userViewSchema } } },
    async (request) => {
      const actor = await actorOf(request);
      const { user } = await accounts.linking.link(actor, refOf(actor, request.params.user), request.body.identity);
      return accounts.getUser(actor, user.id);
    },
  );

  app.delete(
    '/v1/users/:user/identities/:identity',
    { schema: { params: userParams.extend({ identity: z.string().min(3).max(220) }), response: { 200: userViewSchema } } },
    async (request) => {
      const actor = await actorOf(request);
      const owner = await accounts.getUser(actor, refOf(actor, request.params.user));
      if (!owner.identities.some((identity) => identityRef(identity) === request.params.identity)) {
        throw new GatewayError('not_found', `${request.params.user} has no identity ${request.params.identity}.`);
      }
      const detached = await accounts.linking.unlink(actor, request.params.identity);
      return { ...detached, identities: [parseIdentity(request.params.identity)!] };
    },
  );

  // The HTTP side of /link: no body (or no code) issues a code; {"code": "..."} confirms one from a chat.
  app.post(
    '/v1/link',
    { schema: { body: z.object({ code: z.string().min(1).max(20).optional() }).strict().optional(), response: { 200: z.union([linkCodeSchema, userViewSchema]) } } },
    async (request) => {
      const actor = await actorOf(request);
      if (!request.body?.code) {
        const code = await accounts.linking.issueCode(actor);
        return { code: formatCode(code.code), expiresAt: code.expiresAt };
      }
      const { user } = await accounts.linking.confirm(actor, request.body.code);
      return accounts.getUser({ ...actor, user }, user.id);
    },
  );

  app.get('/v1/pairing', { schema: { response: { 200: pendingListSchema } } }, async (request) => ({
    object: 'list' as const,
    data: (await accounts.pairing.pending(await actorOf(request))).map((p) => ({ ...p, code: formatCode(p.code) })),
  }));

  for (const decision of ['approve', 'deny'] as const) {
    app.post(`/v1/pairing/:code/${decision}`, { schema: { params: codeParams, response: { 200: userViewSchema } } }, async (request) => {
      const actor = await actorOf(request);
      const { user, identities } = await accounts.pairing[decision](actor, request.params.code);
      return { ...user, identities };
    });
  }
};
