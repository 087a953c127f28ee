import { z } from 'zod';

/**
 * The OpenAI wire format, as much of it as the gateway serves, so existing OpenAI clients work unchanged.
 * Unknown fields are ignored rather than refused, as clients send options we do not use.
 */
const textPart = z.object({ type: z.literal('text'), text: z.string() });

const content = z.union([z.string(), z.array(textPart).min(1)], {
  error: 'expected a string, or an array of {"type":"text","text":...} parts',
});

const toolCall = z.object({
  id: z.string().min(1).max(200),
  type: z.literal('function').default('function'),
  function: z.object({ name: z.string().min(1).max(64), arguments: z.string().max(1_000_000).default('') }),
});

const roleError = { error: 'expected one of "system", "developer", "user", "assistant", "tool"' };

export const chatMessageSchema = z.discriminatedUnion(
  'role',
  [
    z.object({ role: z.enum(['system', 'developer', 'user']), content, name: z.string().max(200).optional() }),
    z.object({
      role: z.literal('assistant'),
      content: content.nullish(),
      tool_calls: z.array(toolCall).max(128).optional(),
      name: z.string().max(200).optional(),
    }),
    z.object({ role: z.literal('tool'), tool_call_id: z.string().min(1).max(200), content }),
  ],
  roleError,
);

const tool = z.object({
  type: z.literal('function', { error: 'only "function" tools are supported' }),
  function: z.object({
    name: z.string().regex(/^[\w-]{1,64}$/, { error: 'expected 1-64 letters, digits, _ or -' }),
    description: z.string().max(10_000).optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
  }),
});

const toolChoice = z.union([
  z.enum(['auto', 'none', 'required']),
  z.object({ type: z.literal('function'), function: z.object({ name: z.string().min(1).max(64) }) }),
]);

const streamOptions = z.object({ include_usage: z.boolean().optional() }).nullish();

export const chatCompletionRequestSchema = z.object({
  model: z.string({ error: 'expected a model id such as "offline", or "default"' }).min(1).max(200),
  messages: z.array(chatMessageSchema, { error: 'expected an array of messages' }).min(1, {
    error: 'expected at least one message',
  }),
  temperature: z.number().min(0).max(2).nullish(),
  max_tokens: z.number().int().positive().nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
  n: z.literal(1, { error: 'only n = 1 is supported' }).nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
  stream: z.boolean().nullish(),
  stream_options: streamOptions,
  tools: z.array(tool).max(128).nullish(),
  tool_choice: toolChoice.nullish(),
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
      message: z.object({
        role: z.literal('assistant'),
        content: z.string().nullable(),
        refusal: z.null(),
        tool_calls: z.array(z.object({ id: z.string(), type: z.literal('function'), function: z.object({ name: z.string(), arguments: z.string() }) })).optional(),
      }),
      finish_reason: z.enum(['stop', 'length', 'content_filter', 'tool_calls']),
      logprobs: z.null(),
    }),
  ),
  usage: z.object({
    prompt_tokens: z.number().int(),
    completion_tokens: z.number().int(),
    total_tokens: z.number().int(),
    prompt_tokens_details: z.object({ cached_tokens: z.number().int() }).optional(),
    completion_tokens_details: z.object({ reasoning_tokens: z.number().int() }).optional(),
  }),
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

/** Legacy text completions: one prompt, answered through the chat pipeline. */
export const completionRequestSchema = z.object({
  model: z.string({ error: 'expected a model id such as "offline", or "default"' }).min(1).max(200),
  prompt: z.union([z.string(), z.array(z.string()).length(1, { error: 'only one prompt per request is supported' })], {
    error: 'expected a string (token arrays are not supported)',
  }),
  max_tokens: z.number().int().positive().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
  n: z.literal(1, { error: 'only n = 1 is supported' }).nullish(),
  stream: z.boolean().nullish(),
  stream_options: streamOptions,
  echo: z.literal(false, { error: 'echo is not supported' }).nullish(),
  suffix: z.null({ error: 'suffix is not supported' }).optional(),
  logprobs: z.null({ error: 'logprobs are not supported' }).optional(),
  best_of: z.literal(1, { error: 'best_of is not supported' }).nullish(),
  user: z.string().max(200).optional(),
});
export type CompletionRequest = z.infer<typeof completionRequestSchema>;

export const completionSchema = z.object({
  id: z.string(),
  object: z.literal('text_completion'),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(
    z.object({
      text: z.string(),
      index: z.number().int(),
      logprobs: z.null(),
      finish_reason: z.enum(['stop', 'length', 'content_filter', 'tool_calls']),
    }),
  ),
  usage: chatCompletionSchema.shape.usage,
});

export const embeddingRequestSchema = z.object({
  model: z.string({ error: 'expected an embedding model, e.g. "openai/text-embedding-3-small", or "default"' }).min(1).max(200),
  input: z.union([z.string(), z.array(z.string()).min(1).max(2048)], {
    error: 'expected a string or an array of 1-2048 strings (token arrays are not supported)',
  }),
  encoding_format: z.enum(['float', 'base64']).optional(),
  user: z.string().max(200).optional(),
});

export const embeddingListSchema = z.object({
  object: z.literal('list'),
  data: z.array(z.object({ object: z.literal('embedding'), index: z.number().int(), embedding: z.union([z.array(z.number()), z.string()]) })),
  model: z.string(),
  usage: z.object({ prompt_tokens: z.number().int(), total_tokens: z.number().int() }),
});

export const providerListSchema = z.object({
  object: z.literal('list'),
  data: z.array(
    z.object({
      id: z.string(),
      role: z.enum(['primary', 'fallback', 'available']),
      base_url: z.string().nullable(),
      status: z.enum(['ok', 'degraded', 'down']),
      models: z.object({ instant: z.string(), thinking: z.string(), embedding: z.string().nullable() }),
      circuits: z.array(
        z.object({
          model: z.string(),
          state: z.enum(['closed', 'open', 'half-open']),
          consecutive_failures: z.number().int(),
          retry_in_ms: z.number().int().optional(),
        }),
      ),
    }),
  ),
});
