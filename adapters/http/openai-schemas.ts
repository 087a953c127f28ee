import { z } from 'zod';
import { maxMessageChars, maxMessages, maxTools, messageText, toolParametersSchema } from '../../core/contracts/message.ts';
import { unlessMissing } from '../../core/contracts/zod-messages.ts';

/**
 * The OpenAI wire format, as much of it as the gateway serves, so existing OpenAI clients work unchanged.
 * Unknown fields are ignored rather than refused, as clients send options we do not use.
 */
const textPart = z.object({ type: z.literal('text'), text: messageText });

// Parts are joined into one message, so their total is what the message limit bounds.
const content = z
  .union([messageText, z.array(textPart).min(1).max(100)], unlessMissing('expected a string, or an array of {"type":"text","text":...} parts'))
  .refine((value) => typeof value === 'string' || value.reduce((sum, part) => sum + part.text.length, 0) <= maxMessageChars, {
    error: `expected a message of at most ${maxMessageChars.toLocaleString('en-US')} characters in all its parts`,
  });

const stopString = z.string().max(200, { error: 'expected a stop string of at most 200 characters' });
const stop = z.union([stopString, z.array(stopString).max(4)], { error: 'expected a stop string, or up to 4 of them, each at most 200 characters' });

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
      tool_calls: z.array(toolCall).max(maxTools).optional(),
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
    parameters: toolParametersSchema.optional(),
  }),
});

const toolChoice = z.union([
  z.enum(['auto', 'none', 'required']),
  z.object({ type: z.literal('function'), function: z.object({ name: z.string().min(1).max(64) }) }),
]);

const streamOptions = z.object({ include_usage: z.boolean().optional() }).nullish();

export const chatCompletionRequestSchema = z.object({
  model: z.string(unlessMissing('expected a model id such as "offline", or "default"')).min(1).max(200),
  messages: z
    .array(chatMessageSchema, unlessMissing('expected an array of messages'))
    .min(1, { error: 'expected at least one message' })
    .max(maxMessages, { error: `expected at most ${maxMessages.toLocaleString('en-US')} messages` }),
  temperature: z.number().min(0).max(2).nullish(),
  max_tokens: z.number().int().positive().nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
  n: z.literal(1, { error: 'only n = 1 is supported' }).nullish(),
  stop: stop.nullish(),
  stream: z.boolean().nullish(),
  stream_options: streamOptions,
  tools: z.array(tool).max(maxTools, { error: `expected at most ${maxTools} tools` }).nullish(),
  tool_choice: toolChoice.nullish(),
  user: z.string().max(200).optional(),
}).meta({
  examples: [
    { model: 'default', messages: [{ role: 'system', content: 'Answer in one sentence.' }, { role: 'user', content: 'What is the capital of France?' }] },
    { model: 'thinking', messages: [{ role: 'user', content: 'Plan a three-day trip to Lisbon.' }], stream: true, stream_options: { include_usage: true } },
    {
      model: 'default',
      messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
      tools: [{ type: 'function', function: { name: 'get_weather', description: 'Current weather of a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }],
      tool_choice: 'auto',
    },
  ],
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
}).meta({
  examples: [{
    id: 'chatcmpl-9f2c61d0a4b84e0e',
    object: 'chat.completion',
    created: 1795424102,
    model: 'openai/gpt-4o-mini',
    choices: [{ index: 0, message: { role: 'assistant', content: 'Paris is the capital of France.', refusal: null }, finish_reason: 'stop', logprobs: null }],
    usage: { prompt_tokens: 24, completion_tokens: 8, total_tokens: 32, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } },
  }],
});
export type ChatCompletion = z.infer<typeof chatCompletionSchema>;

export const modelListSchema = z.object({
  object: z.literal('list'),
  data: z.array(z.object({ id: z.string(), object: z.literal('model'), created: z.number().int(), owned_by: z.string() })),
}).meta({
  examples: [{
    object: 'list',
    data: [
      { id: 'default', object: 'model', created: 1795420000, owned_by: 'openai' },
      { id: 'thinking', object: 'model', created: 1795420000, owned_by: 'openai' },
      { id: 'openai/gpt-4o-mini', object: 'model', created: 1795420000, owned_by: 'openai' },
    ],
  }],
});

export const errorBodySchema = z.object({
  error: z.object({ message: z.string(), type: z.string(), param: z.string().nullable(), code: z.string().nullable() }),
}).meta({
  examples: [{
    error: {
      message: 'No token provided. Send "Authorization: Bearer <token>"; `npm run -s token -- --user <name>` prints one. (request id: req_5f2c9a7e1b3d4c6f)',
      type: 'invalid_request_error',
      param: null,
      code: 'missing_token',
    },
  }],
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

/** Legacy text completions: one prompt, answered through the chat pipeline. */
export const completionRequestSchema = z.object({
  model: z.string(unlessMissing('expected a model id such as "offline", or "default"')).min(1).max(200),
  prompt: z.union([messageText, z.array(messageText).length(1, { error: 'only one prompt per request is supported' })], unlessMissing('expected a string (token arrays are not supported)')),
  max_tokens: z.number().int().positive().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  stop: stop.nullish(),
  n: z.literal(1, { error: 'only n = 1 is supported' }).nullish(),
  stream: z.boolean().nullish(),
  stream_options: streamOptions,
  echo: z.literal(false, { error: 'echo is not supported' }).nullish(),
  suffix: z.null({ error: 'suffix is not supported' }).optional(),
  logprobs: z.null({ error: 'logprobs are not supported' }).optional(),
  best_of: z.literal(1, { error: 'best_of is not supported' }).nullish(),
  user: z.string().max(200).optional(),
}).meta({ examples: [{ model: 'default', prompt: 'Write a haiku about the sea.', max_tokens: 60 }] });
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
}).meta({
  examples: [{
    id: 'cmpl-9f2c61d0a4b84e0e',
    object: 'text_completion',
    created: 1795424102,
    model: 'openai/gpt-4o-mini',
    choices: [{ text: 'Grey waves fold and break\nsalt wind carries gull voices\nthe tide keeps its time', index: 0, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: 14, completion_tokens: 19, total_tokens: 33 },
  }],
});

export const embeddingRequestSchema = z.object({
  model: z.string(unlessMissing('expected an embedding model, e.g. "openai/text-embedding-3-small", or "default"')).min(1).max(200),
  input: z.union([z.string(), z.array(z.string()).min(1).max(2048)], unlessMissing('expected a string or an array of 1-2048 strings (token arrays are not supported)')),
  encoding_format: z.enum(['float', 'base64']).optional(),
  user: z.string().max(200).optional(),
}).meta({ examples: [{ model: 'default', input: ['The canteen serves lentil soup on Tuesdays.', 'Where is the library?'] }] });

export const embeddingListSchema = z.object({
  object: z.literal('list'),
  data: z.array(z.object({ object: z.literal('embedding'), index: z.number().int(), embedding: z.union([z.array(z.number()), z.string()]) })),
  model: z.string(),
  usage: z.object({ prompt_tokens: z.number().int(), total_tokens: z.number().int() }),
}).meta({
  examples: [{
    object: 'list',
    data: [
      { object: 'embedding', index: 0, embedding: [0.0123, -0.0456, 0.0789] },
      { object: 'embedding', index: 1, embedding: [-0.0211, 0.0342, 0.0017] },
    ],
    model: 'openai/text-embedding-3-small',
    usage: { prompt_tokens: 15, total_tokens: 15 },
  }],
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
      /** The provider's keys, by fingerprint (the first 12 hex digits of the key's SHA-256), never the key. */
      keys: z.array(
        z.object({
          fingerprint: z.string(),
          state: z.enum(['active', 'cooling', 'removed']),
          retry_in_ms: z.number().int().optional(),
          reason: z.string().optional(),
          removed_at: z.string().optional(),
        }),
      ),
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
  /** The routing policy in force (ROUTING_POLICY_FILE); null without one. */
  routing: z
    .object({
      policy: z.string(),
      loaded_at: z.string(),
      error: z.string().nullable().meta({ description: "Why the file's last change was refused; the policy before it stays in force." }),
      tiers: z.partialRecord(
        z.enum(['instant', 'thinking']),
        z.object({
          strategy: z.enum(['priority', 'cheapest', 'fastest', 'weighted']),
          deployments: z.array(
            z.object({
              id: z.string(),
              model: z.string(),
              weight: z.number().optional(),
              time_to_first_token_ms: z.number().int().optional().meta({ description: 'Its recent moving average, once measured.' }),
            }),
          ),
        }),
      ),
    })
    .nullable(),
}).meta({
  examples: [{
    object: 'list',
    data: [
      {
        id: 'openai',
        role: 'primary',
        base_url: 'https://api.openai.com/v1',
        status: 'ok',
        models: { instant: 'gpt-4o-mini', thinking: 'o4-mini', embedding: 'text-embedding-3-small' },
        keys: [
          { fingerprint: '9f86d081884c', state: 'active' },
          { fingerprint: '60303ae22b99', state: 'cooling', retry_in_ms: 8000 },
          { fingerprint: 'fd61a03af4f7', state: 'removed', reason: 'the provider answered 401 (the key is invalid or revoked)', removed_at: '2026-11-23T10:04:00.000Z' },
        ],
        circuits: [{ model: 'gpt-4o-mini', state: 'closed', consecutive_failures: 0 }],
      },
      {
        id: 'anthropic',
        role: 'fallback',
        base_url: null,
        status: 'degraded',
        models: { instant: 'claude-haiku-4-5', thinking: 'claude-sonnet-4-5', embedding: null },
        keys: [{ fingerprint: '2c26b46b68ff', state: 'active' }],
        circuits: [{ model: 'claude-haiku-4-5', state: 'open', consecutive_failures: 5, retry_in_ms: 12000 }],
      },
    ],
    routing: {
      policy: 'ab-test',
      loaded_at: '2026-11-23T09:00:00.000Z',
      error: null,
      tiers: {
        instant: {
          strategy: 'weighted',
          deployments: [
            { id: 'control', model: 'openai/gpt-4o-mini', weight: 70, time_to_first_token_ms: 420 },
            { id: 'candidate', model: 'anthropic/claude-haiku-4-5', weight: 30, time_to_first_token_ms: 610 },
          ],
        },
      },
    },
  }],
});
