import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createApiKeySchema } from '../../../core/identity/api-keys.ts';
import { apiKeyListSchema, apiKeyViewSchema, createdApiKeySchema } from '../accounts-schemas.ts';
import type { AccountRoutesOptions } from './accounts.ts';

/**
 * API keys: POST /v1/keys mints one (admins; the key is in this response and nowhere else, ever),
 * GET /v1/keys lists them (admins: all, or `?user=`; others: their own), DELETE /v1/keys/{id} revokes.
 */
export const apiKeys: FastifyPluginAsyncZod<AccountRoutesOptions> = async (app, { actorOf, accounts }) => {
  const create = {
    summary: 'Mint an API key',
    description:
      'Admins. The key (`sk-gw-…`) is in this response and nowhere else, ever: store it now. It acts as `user` (default: a new user of its own), ' +
      "within its own per-minute limits, token and dollar budgets, model list and expiry, on top of its user's.",
    body: createApiKeySchema,
    response: { 201: createdApiKeySchema },
  };
  app.post('/v1/keys', { schema: create }, async (request, reply) => {
    const { secret, key } = await accounts.keys.create(await actorOf(request), request.body);
    return reply.code(201).send({ ...key, key: secret });
  });

  const list = {
    summary: 'List API keys',
    description: "Admins see every key, or one user's with `?user=`; everyone else sees their own. Never a key's secret.",
    querystring: z.object({ user: z.string().max(220).optional().meta({ description: "Admins: only this user's keys (`usr_…` or `platform:id`)." }) }),
    response: { 200: apiKeyListSchema },
  };
  app.get('/v1/keys', { schema: list }, async (request) => {
    const actor = await actorOf(request);
    const data = await accounts.keys.list(actor, { userId: request.query.user });
    return { object: 'list' as const, data };
  });

  const revoke = {
    summary: 'Revoke an API key',
    description: 'Admins. The key is refused from then on (by other processes once their few-second key cache expires). Returns the revoked key.',
    params: z.object({ id: z.string().max(100).meta({ description: "The key's id (`key_…`), not the key." }) }),
    response: { 200: apiKeyViewSchema },
  };
  app.delete('/v1/keys/:id', { schema: revoke }, async (request) => accounts.keys.revoke(await actorOf(request), request.params.id));
};
