import { z } from 'zod';
import './zod-messages.ts';

/** A call the model asked for: its arguments are JSON text, exactly as the model wrote them. */
export const toolCallSchema = z.object({
  id: z.string().min(1).max(200),
  name: z.string().min(1).max(200),
  arguments: z.string().max(1_000_000),
});
export type ToolCall = z.infer<typeof toolCallSchema>;

/**
 * The longest message a job may carry, and the most messages: a bound on what one request can make the
 * gateway store, embed and send upstream. Every chat platform's own limit is far below it (Slack's 40 000).
 */
export const maxMessageChars = 200_000;
export const maxMessages = 2_000;
export const maxTools = 128;

/** A message's text, refused past maxMessageChars with a sentence that names the limit. */
export const messageText = z.string().max(maxMessageChars, { error: `expected a message of at most ${maxMessageChars.toLocaleString('en-US')} characters` });

/** One turn of a conversation in the gateway's normalized form, whatever platform or wire format it came from. */
export const messageSchema = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content: messageText }),
  z.object({ role: z.literal('user'), content: messageText }),
  z.object({ role: z.literal('assistant'), content: messageText, toolCalls: z.array(toolCallSchema).max(maxTools).optional() }),
  /** A tool's result, answering the assistant's call with the same id. */
  z.object({ role: z.literal('tool'), toolCallId: z.string().min(1).max(200), content: messageText }),
]);
export type Message = z.infer<typeof messageSchema>;

/** How deep a tool's parameter schema may nest: real ones stay under ten; thousands would overflow the stack of whatever serializes them. */
export const maxToolParametersDepth = 64;

/** Whether `value` nests at most `limit` containers deep; iterative, so a hostile depth cannot overflow the stack. */
function nestsAtMost(value: unknown, limit: number): boolean {
  const pending: [unknown, number][] = [[value, 1]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [node, depth] = next;
    if (typeof node !== 'object' || node === null) continue;
    if (depth > limit) return false;
    for (const child of Object.values(node)) pending.push([child, depth + 1]);
  }
  return true;
}

/** A tool's parameters: a JSON Schema object, passed to the model as given, bounded in depth. */
export const toolParametersSchema = z
  .record(z.string(), z.unknown())
  .refine((parameters) => nestsAtMost(parameters, maxToolParametersDepth), { error: `expected a JSON schema nested at most ${maxToolParametersDepth} levels deep` });

/** A tool the client offers the model; the model may ask for it, the client runs it. */
export const toolDefinitionSchema = z.object({
  name: z.string().regex(/^[\w-]{1,64}$/, { error: 'expected 1-64 letters, digits, _ or -' }),
  description: z.string().max(10_000).optional(),
  parameters: toolParametersSchema.default({ type: 'object', properties: {} }),
});
export type ToolDefinition = z.infer<typeof toolDefinitionSchema>;

export const toolChoiceSchema = z.union([
  z.enum(['auto', 'none', 'required']),
  z.object({ name: z.string().min(1).max(64) }),
]);
export type ToolChoice = z.infer<typeof toolChoiceSchema>;

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
