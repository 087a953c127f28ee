import { z } from 'zod';

/**
 * The parts of Anthropic's wire format the gateway relies on, checked at the boundary so a malformed
 * answer becomes a provider error instead of a crash deeper in. Objects are loose: Anthropic adds
 * fields often, and an unknown field must never fail a good answer.
 */

export const anthropicUsageSchema = z.looseObject({
  input_tokens: z.number().nullish(),
  output_tokens: z.number().nullish(),
  cache_creation_input_tokens: z.number().nullish(),
  cache_read_input_tokens: z.number().nullish(),
  output_tokens_details: z.looseObject({ thinking_tokens: z.number().nullish() }).nullish(),
});

/** Usage as both the response and the stream events carry it (the SDK's Usage and MessageDeltaUsage fit). */
export interface AnthropicUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  output_tokens_details?: { thinking_tokens?: number | null } | null;
}

export const anthropicTextBlockSchema = z.looseObject({ type: z.literal('text'), text: z.string() });

export const anthropicToolUseBlockSchema = z.looseObject({
  type: z.literal('tool_use'),
  id: z.string(),
  name: z.string(),
  input: z.unknown(),
});

/** The non-streaming response. Blocks are checked by type where they are read (see doGenerate). */
export const anthropicMessageSchema = z.looseObject({
  id: z.string().optional(),
  model: z.string().optional(),
  content: z.array(z.looseObject({ type: z.string() })),
  stop_reason: z.string().nullish(),
  usage: anthropicUsageSchema,
});
