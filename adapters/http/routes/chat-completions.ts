import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { InboundJobInput } from '../../../core/contracts/job.ts';
import type { FinishReason } from '../../../core/contracts/message.ts';
import type { OkReply, Reply } from '../../../core/contracts/reply.ts';
import { deserializeError, GatewayError } from '../../../core/errors/gateway-error.ts';
import type { ApiPrincipal } from '../../../core/identity/tokens.ts';
import type { ModelsPort } from '../models-port.ts';
import { chatCompletionRequestSchema, chatCompletionSchema, type ChatCompletion } from '../openai-schemas.ts';
import { toJob } from '../to-job.ts';

export interface ChatCompletionsOptions {
  jwtKey: Uint8Array;
  authenticate: (request: import('fastify').FastifyRequest) => Promise<ApiPrincipal>;
  /** Refuses an unknown model before anything is queued. */
  models: ModelsPort;
  enqueue: (job: InboundJobInput) => Promise<unknown>;
  awaitReply: (jobId: string, options: { timeoutMs: number }) => Promise<Reply>;
  replyTimeoutMs: number;
}

const finishReasons: Record<FinishReason, ChatCompletion['choices'][number]['finish_reason']> = {
  stop: 'stop',
  length: 'length',
  'content-filter': 'content_filter',
  'tool-calls': 'tool_calls',
  error: 'stop',
  other: 'stop',
};

/** Usage as OpenAI reports it, with cached and reasoning tokens where the provider counted them. */
export function toOpenAIUsage({ inputTokens, outputTokens, cachedInputTokens, reasoningTokens }: OkReply['usage']) {
  return {
    prompt_tokens: inputTokens,
    completion_tokens: outputTokens,
    total_tokens: inputTokens + outputTokens,
    ...(cachedInputTokens ? { prompt_tokens_details: { cached_tokens: cachedInputTokens } } : {}),
    ...(reasoningTokens ? { completion_tokens_details: { reasoning_tokens: reasoningTokens } } : {}),
  };
}

export function toChatCompletion(reply: OkReply): ChatCompletion {
  return {
    id: `chatcmpl-${reply.jobId.replace(/^http-/, '')}`,
    object: 'chat.completion',
    created: Math.floor(Date.parse(reply.createdAt) / 1000),
    model: reply.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: reply.message.content, refusal: null },
        finish_reason: finishReasons[reply.finishReason],
        logprobs: null,
      },
    ],
    usage: toOpenAIUsage(reply.usage),
  };
}

/** POST /v1/chat/completions: through the queue and the pipeline like every other message, then answered. */
export const chatCompletions: FastifyPluginAsyncZod<ChatCompletionsOptions> = async (app, options) => {
  const { jwtKey, authenticate, models, enqueue, awaitReply, replyTimeoutMs } = options;
  app.post(
    '/v1/chat/completions',
    { schema: { body: chatCompletionRequestSchema, response: { 200: chatCompletionSchema } } },
    async (request) => {
      const principal = await authenticate(request);
      const { body } = request;
      if (body.stream) {
        throw new GatewayError('invalid_request', 'Streaming (stream: true) is not available yet; send stream: false.', {
          param: 'stream',
        });
      }
      models.resolve(body.model);
      const job = await toJob({ body, principal, requestId: request.id, headers: request.headers, jwtKey });
      await enqueue(job);
      const reply = await awaitReply(job.id, { timeoutMs: replyTimeoutMs });
      if (reply.status === 'error') throw deserializeError(reply.error);
      return toChatCompletion(reply);
    },
  );
};
