import { rateLimitHeaders } from '../rate-limit-headers.ts';
import { routeHeaders } from '../route-headers.ts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { deserializeError } from '../../../core/errors/gateway-error.ts';
import { chunker } from '../openai-chunks.ts';
import { completionRequestSchema, completionSchema } from '../openai-schemas.ts';
import { streamResponse } from '../stream-response.ts';
import { completionAsChat, toJob } from '../to-job.ts';
import { completionNotes, streamFormat, toChatCompletion, type ChatCompletionsOptions } from './chat-completions.ts';

/**
 * POST /v1/completions, the legacy text-completion API: the prompt becomes one user message and goes
 * through the queue and pipeline like a chat, with any provider behind it, whole or streamed.
 */
export const completions: FastifyPluginAsyncZod<ChatCompletionsOptions> = async (app, options) => {
  const { jwtKey, authenticate, models, jobs, replyTimeoutMs } = options;
  const schema = {
    summary: 'Create a text completion (legacy)',
    description: "OpenAI's legacy completions: the prompt becomes one user message, answered through the chat pipeline by any provider. " + completionNotes,
    body: completionRequestSchema,
    response: { 200: completionSchema },
  };
  app.post('/v1/completions', { schema }, async (request, reply) => {
    const principal = await authenticate(request);
    const { body } = request;
    models.resolve(body.model);
    const job = toJob({ body: completionAsChat(body), principal, requestId: request.id, headers: request.headers, jwtKey, replyAddress: jobs.replyAddress });
    const answer = jobs.awaitReply(job.id, { timeoutMs: replyTimeoutMs });
    answer.catch(() => {}); // Observed below; a stream that ends first must not leave it unhandled.
    await jobs.enqueue(job);
    const id = `cmpl-${job.id.replace(/^http-/, '')}`;
    if (body.stream) {
      const toChunks = chunker({ id, kind: 'text', includeUsage: body.stream_options?.include_usage === true });
      return streamResponse(request, reply, { jobId: job.id, reply: answer, format: streamFormat(request), toChunks, streams: jobs, timeoutMs: replyTimeoutMs });
    }
    const done = await answer;
    reply.headers({ ...rateLimitHeaders(done), ...(done.status === 'ok' ? routeHeaders(done.route) : {}) });
    if (done.status === 'error') throw deserializeError(done.error);
    const completion = toChatCompletion(done);
    const [choice] = completion.choices;
    return {
      id,
      object: 'text_completion' as const,
      created: completion.created,
      model: completion.model,
      choices: [{ text: choice?.message.content ?? '', index: 0, logprobs: null, finish_reason: choice?.finish_reason ?? 'stop' }],
      usage: completion.usage,
    };
  });
};
