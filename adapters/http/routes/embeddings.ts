import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { GatewayError } from '../../../core/errors/gateway-error.ts';
import { keyAllows } from '../../../core/identity/api-keys.ts';
import type { ApiPrincipal } from '../../../core/identity/tokens.ts';
import { embeddingListSchema, embeddingRequestSchema } from '../openai-schemas.ts';
import type { ModelsPort } from '../models-port.ts';

export interface EmbeddingsOptions {
  authenticate: (request: import('fastify').FastifyRequest) => Promise<ApiPrincipal>;
  models: ModelsPort;
}

/**
 * POST /v1/embeddings, through the provider layer. Embeddings are stateless and need no conversation
 * order, so the HTTP process calls the provider itself rather than queueing.
 */
export const embeddings: FastifyPluginAsyncZod<EmbeddingsOptions> = async (app, { authenticate, models }) => {
  const schema = {
    summary: 'Create embeddings',
    description:
      'Vectors for one string or up to 2048, from the embedding model of a provider (`default`: the primary provider\'s). ' +
      '`encoding_format: "base64"` returns each vector as little-endian float32 bytes, base64.',
    body: embeddingRequestSchema,
    response: { 200: embeddingListSchema },
  };
  app.post('/v1/embeddings', { schema }, async (request) => {
    const { apiKey } = await authenticate(request);
    const { body } = request;
    if (apiKey && !keyAllows(apiKey, body.model)) {
      throw new GatewayError('model_not_allowed', `This API key may not call "${body.model}".`, { param: 'model' });
    }
    const model = models.resolveEmbedding(body.model);
    const values = typeof body.input === 'string' ? [body.input] : body.input;
    const controller = new AbortController();
    request.raw.once('close', () => request.raw.destroyed && controller.abort(new Error('the client went away')));
    const result = await model.doEmbed({ values, abortSignal: controller.signal });
    const encode = (vector: number[]) =>
      body.encoding_format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
    return {
      object: 'list' as const,
      data: result.embeddings.map((embedding, index) => ({ object: 'embedding' as const, index, embedding: encode(embedding) })),
      model: model.provider === 'offline' ? 'offline' : `${model.provider}/${model.modelId}`,
      usage: { prompt_tokens: result.usage.inputTokens, total_tokens: result.usage.inputTokens },
    };
  });
};
