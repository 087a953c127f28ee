import { rateLimitHeaders } from '../rate-limit-headers.ts';
import { conversationHeaders, routeHeaders } from '../route-headers.ts';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { OkReply } from '../../../core/contracts/reply.ts';
import { deserializeError } from '../../../core/errors/gateway-error.ts';
import type { ApiPrincipal } from '../../../core/identity/tokens.ts';
import type { JobsPort } from '../jobs-port.ts';
import type { ModelsPort } from '../models-port.ts';
import { chunker, openAIFinishReasons, toOpenAIUsage } from '../openai-chunks.ts';
import { chatCompletionRequestSchema, chatCompletionSchema, type ChatCompletion } from '../openai-schemas.ts';
import { streamResponse } from '../stream-response.ts';
import { toJob } from '../to-job.ts';

export interface ChatCompletionsOptions {
  jwtKey: Uint8Array;
  authenticate: (request: FastifyRequest) => Promise<ApiPrincipal>;
  /** Refuses an unknown model before anything is queued. */
  models: ModelsPort;
  jobs: JobsPort;
  replyTimeoutMs: number;
}

export function toChatCompletion(reply: OkReply): ChatCompletion {
  const { toolCalls } = reply.message;
  return {
    id: `chatcmpl-${reply.jobId.replace(/^http-/, '')}`,
    object: 'chat.completion',
    created: Math.floor(Date.parse(reply.createdAt) / 1000),
    model: reply.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: toolCalls && !reply.message.content ? null : reply.message.content,
          refusal: null,
          ...(toolCalls
            ? { tool_calls: toolCalls.map((call) => ({ id: call.id, type: 'function' as const, function: { name: call.name, arguments: call.arguments } })) }
            : {}),
        },
        finish_reason: openAIFinishReasons[reply.finishReason],
        logprobs: null,
      },
    ],
    usage: toOpenAIUsage(reply.usage),
  };
}

/** How both completion endpoints behave beyond their bodies, for their documentation. */
export const completionNotes =
  'With `"stream": true` the answer comes as OpenAI\'s chunks: server-sent events ending in `data: [DONE]`, or newline-delimited JSON ' +
  'when the request accepts `application/x-ndjson`. Optional headers: `Idempotency-Key` (a retry gets the first answer, not a second one) and ' +
  '`X-Conversation-Id` (requests of one conversation are answered in order). Answers carry `x-ratelimit-*` headers, and ' +
  '`x-gateway-tier` and `x-gateway-route-reason` (which tier answered, and why), and with `X-Conversation-Id`, ' +
  '`x-gateway-conversation-id` (the id GET /v1/conversations lists the conversation under).';

/** SSE unless the client asked for newline-delimited JSON. */
export const streamFormat = (request: FastifyRequest) => (/application\/x-ndjson/.test(request.headers.accept ?? '') ? 'ndjson' : 'sse');

/**
 * POST /v1/chat/completions: through the queue and the pipeline like every other message, then
 * answered whole, or streamed as OpenAI's chunks (SSE, or NDJSON when the client accepts it).
 */
export const chatCompletions: FastifyPluginAsyncZod<ChatCompletionsOptions> = async (app, options) => {
  const { jwtKey, authenticate, models, jobs, replyTimeoutMs } = options;
  app.post(
    '/v1/chat/completions',
    {
      schema: {
        summary: 'Create a chat completion',
        description:
          "OpenAI's chat completions, through the queue and the pipeline (tiers, limits, tools, knowledge) like every chat message. " +
          '`model` is an id from GET /v1/models, a tier (`default` or `instant`, `thinking`), or `offline`. ' +
          completionNotes,
        body: chatCompletionRequestSchema,
        response: { 200: chatCompletionSchema },
      },
    },
    async (request, reply) => {
      const principal = await authenticate(request);
      const { body } = request;
      models.resolve(body.model);
      const job = toJob({ body, principal, requestId: request.id, headers: request.headers, jwtKey, replyAddress: jobs.replyAddress });
      const answer = jobs.awaitReply(job.id, { timeoutMs: replyTimeoutMs });
      answer.catch(() => {}); // Observed below; a stream that ends first must not leave it unhandled.
      await jobs.enqueue(job);
      const headers = conversationHeaders(request.headers['x-conversation-id'], job);
      if (body.stream) {
        const toChunks = chunker({ id: `chatcmpl-${job.id.replace(/^http-/, '')}`, kind: 'chat', includeUsage: body.stream_options?.include_usage === true });
        return streamResponse(request, reply, { jobId: job.id, reply: answer, format: streamFormat(request), toChunks, streams: jobs, timeoutMs: replyTimeoutMs, headers });
      }
      const done = await answer;
      reply.headers({ ...headers, ...rateLimitHeaders(done), ...(done.status === 'ok' ? routeHeaders(done.route) : {}) });
      if (done.status === 'error') throw deserializeError(done.error);
      return toChatCompletion(done);
    },
  );
};
