import { APIConnectionError, APIError } from '@anthropic-ai/sdk';
import type { RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';
import type { StreamPart } from '../../language-model.ts';
import type { AnthropicUsage } from './anthropic-api.ts';
import { type AnthropicErrorContext, streamEndedError, toAnthropicError } from './anthropic-error.ts';
import { convertAnthropicUsage, mergeAnthropicUsage } from './convert-anthropic-usage.ts';
import { mapAnthropicFinishReason } from './map-anthropic-finish-reason.ts';

export interface MapStreamContext extends AnthropicErrorContext {
  abortSignal?: AbortSignal;
}

type OpenBlock = { kind: 'text'; id: string } | { kind: 'tool'; id: string; toolName: string; input: string };

/**
 * Anthropic's SSE events as the gateway's stream parts.
 *
 * - Tool calls are numbered 0, 1, 2... in this response (`index`), not by Anthropic's content-block
 *   index, which also counts text and thinking blocks: OpenAI clients use `index` to assemble calls.
 * - Each tool call is also emitted whole (`tool-call`) when its block stops, with "{}" for no input.
 * - Exactly one `finish`, and only on message_stop. A stream that errors or ends before message_stop
 *   ends with an `error` part instead, and nothing follows it.
 * - A failure before the first part is thrown, not yielded, so doStream (via startStream) rejects
 *   while retry and failover are still safe.
 * - A cancellation by the caller's signal rethrows the signal's reason: it is no provider failure.
 */
export async function* mapAnthropicStream(
  events: AsyncIterable<RawMessageStreamEvent>,
  context: MapStreamContext,
): AsyncGenerator<StreamPart> {
  const blocks = new Map<number, OpenBlock>();
  let toolCount = 0;
  let usage: AnthropicUsage = {};
  let stopReason: string | null | undefined;
  let started = false;

  function* handle(event: RawMessageStreamEvent): Generator<StreamPart> {
    switch (event.type) {
      case 'message_start':
        usage = mergeAnthropicUsage(usage, event.message.usage);
        yield { type: 'response-metadata', id: event.message.id, modelId: event.message.model };
        return;
      case 'content_block_start': {
        const block = event.content_block;
        if (block.type === 'text') {
          const id = `text-${event.index}`;
          blocks.set(event.index, { kind: 'text', id });
          yield { type: 'text-start', id };
          if (block.text) yield { type: 'text-delta', id, delta: block.text };
        } else if (block.type === 'tool_use') {
          // The start carries `input: {}`; the real arguments arrive as input_json_delta.
          blocks.set(event.index, { kind: 'tool', id: block.id, toolName: block.name, input: '' });
          yield { type: 'tool-input-start', id: block.id, toolName: block.name, index: toolCount++ };
        }
        // Thinking and server-tool blocks have no normalized part; their deltas are ignored below.
        return;
      }
      case 'content_block_delta': {
        const open = blocks.get(event.index);
        const delta = event.delta;
        if (open?.kind === 'text' && delta.type === 'text_delta' && delta.text) {
          yield { type: 'text-delta', id: open.id, delta: delta.text };
        } else if (open?.kind === 'tool' && delta.type === 'input_json_delta' && delta.partial_json) {
          open.input += delta.partial_json;
          yield { type: 'tool-input-delta', id: open.id, delta: delta.partial_json };
        }
        return;
      }
      case 'content_block_stop': {
        const open = blocks.get(event.index);
        blocks.delete(event.index);
        if (open?.kind === 'text') yield { type: 'text-end', id: open.id };
        if (open?.kind === 'tool') {
          yield { type: 'tool-input-end', id: open.id };
          yield { type: 'tool-call', toolCallId: open.id, toolName: open.toolName, input: open.input || '{}' };
        }
        return;
      }
      case 'message_delta':
        stopReason = event.delta.stop_reason ?? stopReason;
        usage = mergeAnthropicUsage(usage, event.usage);
        return;
      case 'message_stop':
        yield { type: 'finish', finishReason: mapAnthropicFinishReason(stopReason), usage: convertAnthropicUsage(usage) };
        return;
    }
  }

  let failure: unknown;
  try {
    for await (const event of events) {
      for (const part of handle(event)) {
        started = true;
        yield part;
      }
      if (event.type === 'message_stop') return;
    }
  } catch (error) {
    failure = error;
  }

  // The SDK ends its stream quietly when the request is aborted; only the signal says it was ours.
  if (context.abortSignal?.aborted) throw context.abortSignal.reason;
  const error = failure === undefined ? streamEndedError(context) : classify(failure, started, context);
  if (!started) throw error;
  yield { type: 'error', error };
}

/**
 * What the provider said (an `error` event, a malformed event) keeps its own code; anything else
 * once parts have flowed (a socket reset, a truncated body) is the stream being cut.
 */
function classify(failure: unknown, started: boolean, context: AnthropicErrorContext) {
  const fromProvider =
    (failure instanceof APIError && !(failure instanceof APIConnectionError)) || failure instanceof SyntaxError;
  return !started || fromProvider ? toAnthropicError(failure, context) : streamEndedError(context, failure);
}
