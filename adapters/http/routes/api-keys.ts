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
  app.post('/v1/keys', { schema: { body: createApiKeySchema, response: { 201: createdApiKeySchema } } }, async (request, reply) => {
    const { secret, key } = await accounts.keys.create(await actorOf(request), request.body);
    return reply.code(201).send({ ...key, key: secret });
  });

  app.get('/v1/keys', { schema: { querystring: z.object({ user: z.string().max(220).optional() }), response: { 200: apiKeyListSchema } } }, async (request) => {
    const actor = await actorOf(request);
    const data = await accounts.keys.list(actor, { userId: request.query.user });
    return { object: 'list' as const, data };
  });

  app.delete('/v1/keys/:id', { schema: { params: z.object({ id: z.string().max(100) }), response: { 200: apiKeyViewSchema } } }, async (request) =>
    accounts.keys.revoke(await actorOf(request), request.params.id),
  );
};
