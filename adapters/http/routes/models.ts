import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { keyAllows } from '../../../core/identity/api-keys.ts';
import type { ApiPrincipal } from '../../../core/identity/tokens.ts';
import type { ModelsPort } from '../models-port.ts';
import { modelListSchema } from '../openai-schemas.ts';

export interface ModelsOptions {
  authenticate: (request: import('fastify').FastifyRequest) => Promise<ApiPrincipal>;
  models: ModelsPort;
}

/** GET /v1/models: what clients may put in `model`. */
export const models: FastifyPluginAsyncZod<ModelsOptions> = async (app, { authenticate, models: registry }) => {
  const created = Math.floor(Date.now() / 1000);
  const schema = {
    summary: 'List models',
    description: 'What clients may put in `model`: the tiers and every configured provider\'s models. An API key limited to some models sees only those.',
    response: { 200: modelListSchema },
  };
  app.get('/v1/models', { schema }, async (request) => {
    const { apiKey } = await authenticate(request);
    return {
      object: 'list' as const,
      // An API key limited to some models sees only those.
      data: registry.list().filter((model) => !apiKey || keyAllows(apiKey, model.id)).map((model) => ({ id: model.id, object: 'model' as const, created, owned_by: model.provider })),
    };
  });
};
