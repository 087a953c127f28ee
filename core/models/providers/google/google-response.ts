import { createHash } from 'node:crypto';
import type { Usage } from '../../../contracts/message.ts';
import type { GoogleFunctionCall, GooglePart, GoogleUsage } from './google-api.ts';

/**
 * Pieces shared by the streamed and the non-streamed answer, so both read Gemini's parts, ids and
 * usage the same way (a client that retries without streaming must see the same tool-call ids).
 */

/**
 * The id of the `index`-th function call of a response. Gemini rarely gives one, and tool results must
 * be paired with their call by id, so the id is derived from what identifies the call within its
 * response: the same answer (streamed, not streamed, or replayed) always gets the same id.
 */
export function googleToolCallId(call: GoogleFunctionCall, index: number): string {
  if (call.id) return call.id;
  const digest = createHash('sha256').update(`${index}:${call.name}:${toolInput(call)}`).digest('hex');
  return `call_${digest.slice(0, 24)}`;
}

/** The arguments as JSON text; "{}" when the function was called without any. */
export function toolInput(call: GoogleFunctionCall): string {
  return JSON.stringify(call.args ?? {});
}

/** Visible answer text of a part: thought summaries are hidden reasoning, not the answer. */
export function visibleText(part: GooglePart): string | undefined {
  if (part.thought || part.functionCall || !part.text) return undefined;
  return part.text;
}

/** The response's id and model version, without keys Gemini left out; undefined when it gave neither. */
export function responseMetadata(body: { responseId?: string | undefined; modelVersion?: string | undefined }) {
  if (!body.responseId && !body.modelVersion) return undefined;
  return { ...(body.responseId ? { id: body.responseId } : {}), ...(body.modelVersion ? { modelId: body.modelVersion } : {}) };
}

/**
 * Gemini's usage as the gateway's. Thinking tokens are billed as output but reported apart from
 * candidatesTokenCount, so they are added back; cached tokens are already inside promptTokenCount.
 */
export function toUsage(usage: GoogleUsage | undefined): Usage {
  const thoughts = usage?.thoughtsTokenCount ?? 0;
  const cached = usage?.cachedContentTokenCount ?? 0;
  const result: Usage = {
    inputTokens: usage?.promptTokenCount ?? 0,
    outputTokens: (usage?.candidatesTokenCount ?? 0) + thoughts,
  };
  if (cached > 0) result.cachedInputTokens = cached;
  if (thoughts > 0) result.reasoningTokens = thoughts;
  return result;
}
