import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { deserializeError, GatewayError } from '../../../core/errors/gateway-error.ts';
import { completionRequestSchema, completionSchema } from '../openai-schemas.ts';
import { toJob } from '../to-job.ts';
import { toChatCompletion, type ChatCompletionsOptions } from './chat-completions.ts';

/**
 * POST /v1/completions, the legacy text-completion API: the prompt becomes one user message and goes
 * through the queue and pipeline like a chat, with any provider behind it.
 */
export const completions: FastifyPluginAsyncZod<ChatCompletionsOptions> = async (app, options) => {
  const { jwtKey, authenticate, models, enqueue, awaitReply, replyTimeoutMs } = options;
  app.post('/v1/completions', { schema: { body: completionRequestSchema, response: { 200: completionSchema } } }, async (request) => {
    const principal = await authenticate(request);
    const { body } = request;
    if (body.stream) {
      throw new GatewayError('invalid_request', 'Streaming (stream: true) is not available yet; send stream: false.', { param: 'stream' });
    }
    models.resolve(body.model);
    const prompt = typeof body.prompt === 'string' ? body.prompt : (body.prompt[0] ?? '');
    const chat = { model: body.model, messages: [{ role: 'user' as const, content: prompt }], max_tokens: body.max_tokens, temperature: body.temperature };
    const job = await toJob({ body: chat, principal, requestId: request.id, headers: request.headers, jwtKey });
    await enqueue(job);
    const reply = await awaitReply(job.id, { timeoutMs: replyTimeoutMs });
    if (reply.status === 'error') throw deserializeError(reply.error);
    const completion = toChatCompletion(reply);
    const [choice] = completion.choices;
    return {
      id: completion.id.replace(/^chatcmpl-/, 'cmpl-'),
      object: 'text_completion' as const,
      created: completion.created,
      model: completion.model,
      choices: [{ text: choice?.message.content ?? '', index: 0, logprobs: null, finish_reason: choice?.finish_reason ?? 'stop' }],
      usage: completion.usage,
    };
  });
};
