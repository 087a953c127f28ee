import { z } from 'zod';

/** One turn of a conversation in the gateway's normalized form, whatever platform or wire format it came from. */
export const messageSchema = z.object({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string(),
});
export type Message = z.infer<typeof messageSchema>;

export const usageSchema = z.object({
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  /** Input tokens served from the provider's prompt cache (included in inputTokens). */
  cachedInputTokens: z.number().int().nonnegative().optional(),
  /** Output tokens spent on hidden reasoning (included in outputTokens). */
  reasoningTokens: z.number().int().nonnegative().optional(),
});
export type Usage = z.infer<typeof usageSchema>;

export const finishReasonSchema = z.enum(['stop', 'length', 'content-filter', 'tool-calls', 'error', 'other']);
export type FinishReason = z.infer<typeof finishReasonSchema>;
