import type { FinishReason, Usage } from '../../../contracts/message.ts';
import type { StreamPart } from '../../language-model.ts';
import { ProviderCallError } from '../../provider-error.ts';
import { googleErrorBodySchema, googleGenerateContentResponseSchema, type GoogleUsage } from './google-api.ts';
import { googleErrorFromStreamChunk, googleProviderError, type GoogleCallContext } from './google-error.ts';
import { googleToolCallId, responseMetadata, toolInput, toUsage, visibleText } from './google-response.ts';
import { mapGoogleFinishReason } from './map-google-finish-reason.ts';

const textId = 'text-0';

/**
 * Gemini's SSE chunks (each a whole GenerateContentResponse) as the gateway's stream parts. Text
 * arrives in pieces; each function call arrives whole, and is framed start/delta/end/tool-call so
 * clients that assemble arguments from deltas and clients that read the finished call both work.
 *
 * Problems are thrown, not yielded: `guardGoogleStream` decides whether it is still time to reject
 * (nothing sent yet, so retry and failover are safe) or whether it must become an `error` part.
 */
export async function* mapGoogleStream(events: AsyncIterable<string>, context: GoogleCallContext): AsyncGenerator<StreamPart> {
  let textOpen = false;
  let toolCalls = 0;
  let metadataSent = false;
  let finishReason: string | undefined;
  let blockReason: string | undefined;
  let usage: GoogleUsage | undefined;

  for await (const data of events) {
    const chunk = parseChunk(data, context);
    const metadata = metadataSent ? undefined : responseMetadata(chunk);
    if (metadata) {
      metadataSent = true;
      yield { type: 'response-metadata', ...metadata };
    }
    // Usage is cumulative in every chunk that has it; the last one is the total.
    if (chunk.usageMetadata) usage = chunk.usageMetadata;
    blockReason ??= chunk.promptFeedback?.blockReason;

    const candidate = chunk.candidates?.[0];
    for (const part of candidate?.content?.parts ?? []) {
      const text = visibleText(part);
      if (text !== undefined) {
        if (!textOpen) yield { type: 'text-start', id: textId };
        textOpen = true;
        yield { type: 'text-delta', id: textId, delta: text };
      } else if (part.functionCall) {
        const index = toolCalls++;
        const id = googleToolCallId(part.functionCall, index);
        const input = toolInput(part.functionCall);
        yield { type: 'tool-input-start', id, toolName: part.functionCall.name, index };
        yield { type: 'tool-input-delta', id, delta: input };
        yield { type: 'tool-input-end', id };
        yield { type: 'tool-call', toolCallId: id, toolName: part.functionCall.name, input };
      }
    }
    finishReason = candidate?.finishReason ?? finishReason;
  }

  // Only a finishReason (or a blocked prompt) proves the answer is complete; a stream that simply
  // stops must not look like a short, clean answer.
  if (finishReason === undefined && blockReason === undefined) {
    throw googleProviderError('the stream ended before it finished (no finishReason)', context);
  }
  if (textOpen) yield { type: 'text-end', id: textId };
  const reason: FinishReason = mapGoogleFinishReason({ finishReason, hasToolCalls: toolCalls > 0, blockReason });
  const total: Usage = toUsage(usage);
  yield { type: 'finish', finishReason: reason, usage: total };
}

function parseChunk(data: string, context: GoogleCallContext) {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch (error) {
    throw googleProviderError(`malformed stream chunk: ${data.slice(0, 200)}`, context, error);
  }
  // Google reports failures that happen after the 200 (overload, quota) as an error object in the stream.
  const failure = googleErrorBodySchema.safeParse(json);
  if (failure.success) throw googleErrorFromStreamChunk(failure.data.error, context);
  const chunk = googleGenerateContentResponseSchema.safeParse(json);
  if (!chunk.success) throw googleProviderError(`unexpected stream chunk: ${chunk.error.message}`, context, chunk.error);
  return chunk.data;
}

/**
 * Turns what `mapGoogleStream` throws into the stream's contract: before the first part, the failure
 * rejects (so `doStream` rejects and the call can be retried); after it, a single `error` part ends the
 * stream. An abort is the caller's own decision and is rethrown unchanged.
 */
export async function* guardGoogleStream(
  parts: AsyncIterable<StreamPart>,
  context: GoogleCallContext,
  abortSignal: AbortSignal | undefined,
): AsyncGenerator<StreamPart> {
  let started = false;
  try {
    for await (const part of parts) {
      started = true;
      yield part;
    }
  } catch (error) {
    if (abortSignal?.aborted) throw abortSignal.reason;
    const failure =
      error instanceof ProviderCallError
        ? error
        : googleProviderError('the stream ended before it finished (connection lost)', context, error);
    if (!started) throw failure;
    yield { type: 'error', error: failure };
  }
}
