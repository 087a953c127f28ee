import type { FinishReason } from '../../core/contracts/message.ts';
import type { OkReply } from '../../core/contracts/reply.ts';
import type { StreamPart } from '../../core/contracts/stream-part.ts';

/** OpenAI's finish reasons, from ours. */
export const openAIFinishReasons: Record<FinishReason, 'stop' | 'length' | 'content_filter' | 'tool_calls'> = {
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

export interface ChunkOptions {
  /** `chatcmpl-…` or `cmpl-…`, the same on every chunk of one answer. */
  id: string;
  /** Chat chunks (`chat.completion.chunk`) or legacy text chunks (`text_completion`). */
  kind: 'chat' | 'text';
  /** `stream_options.include_usage`: every chunk carries `usage: null`, and a last chunk the usage. */
  includeUsage: boolean;
}

/**
 * Turns the relayed parts of one answer into OpenAI's streaming chunks, exactly as OpenAI sends them,
 * so the official clients' stream iterators work unchanged. Stateful: it remembers the model and
 * creation time from the `start` part.
 */
export function chunker({ id, kind, includeUsage }: ChunkOptions) {
  let model = '';
  let created = Math.floor(Date.now() / 1000);
  const usageNull = includeUsage ? { usage: null } : {};
  const chat = (delta: Record<string, unknown>, finishReason: string | null = null) => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...usageNull,
  });
  const text = (value: string, finishReason: string | null = null) => ({
    id,
    object: 'text_completion',
    created,
    model,
    choices: [{ text: value, index: 0, logprobs: null, finish_reason: finishReason }],
    ...usageNull,
  });

  return (part: Exclude<StreamPart, { type: 'error' }>): object[] => {
    switch (part.type) {
      case 'start':
        model = part.model;
        created = part.created;
        return kind === 'chat' ? [chat({ role: 'assistant', content: '' })] : [];
      case 'text':
        return [kind === 'chat' ? chat({ content: part.delta }) : text(part.delta)];
      case 'tool-start':
        if (kind === 'text') return [];
        return [chat({ tool_calls: [{ index: part.index, id: part.id, type: 'function', function: { name: part.name, arguments: '' } }] })];
      case 'tool-delta':
        if (kind === 'text') return [];
        return [chat({ tool_calls: [{ index: part.index, function: { arguments: part.delta } }] })];
      case 'finish': {
        const reason = openAIFinishReasons[part.finishReason];
        const last = kind === 'chat' ? chat({}, reason) : text('', reason);
        if (!includeUsage) return [last];
        const object = kind === 'chat' ? 'chat.completion.chunk' : 'text_completion';
        return [last, { id, object, created, model, choices: [], usage: toOpenAIUsage(part.usage) }];
      }
    }
  };
}
