import { z } from 'zod';

/**
 * The OpenAI wire format, as much of it as the gateway serves, so existing OpenAI clients work unchanged.
 * Unknown fields are ignored rather than refused, as clients send options we do not use.
 */
const textPart = z.object({ type: z.literal('text'), text: z.string() });

const content = z.union([z.string(), z.array(textPart).min(1)], {
  error: 'expected a string, or an array of {"type":"text","text":...} parts',
});

export const chatMessageSchema = z.object({
  role: z.enum(['system', 'developer', 'user', 'assistant'], {
    error: 'expected one of "system", "developer", "user", "assistant"',
  }),
  content,
  name: z.string().max(200).optional(),
});

export const chatCompletionRequestSchema = z.object({
  model: z.string({ error: 'expected a model id such as "offline", or "default"' }).min(1).max(200),
  messages: z.array(chatMessageSchema, { error: 'expected an array of messages' }).min(1, {
    error: 'expected at least one message',
  }),
  temperature: z.number().min(0).max(2).nullish(),
  max_tokens: z.number().int().positive().nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
  n: z.literal(1, { error: 'only n = 1 is supported' }).nullish(),
  stream: z.boolean().nullish(),
  user: z.string().max(200).optional(),
});
export type ChatCompletionRequest = z.infer<typeof chatCompletionRequestSchema>;

export const chatCompletionSchema = z.object({
  id: z.string(),
  object: z.literal('chat.completion'),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(
    z.object({
      index: z.number().int(),
      message: z.object({ role: z.literal('assistant'), content: z.string(), refusal: z.null() }),
      finish_reason: z.enum(['stop', 'length', 'content_filter', 'tool_calls']),
      logprobs: z.null(),
    }),
  ),
  usage: z.object({ prompt_tokens: z.number().int(), completion_tokens: z.number().int(), total_tokens: z.number().int() }),
});
export type ChatCompletion = z.infer<typeof chatCompletionSchema>;

export const modelListSchema = z.object({
  object: z.literal('list'),
  data: z.array(z.object({ id: z.string(), object: z.literal('model'), created: z.number().int(), owned_by: z.string() })),
});

export const errorBodySchema = z.object({
  error: z.object({ message: z.string(), type: z.string(), param: z.string().nullable(), code: z.string().nullable() }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;
