import type { Usage } from '../../../contracts/message.ts';
import type { AnthropicUsage } from './anthropic-api.ts';

/**
 * Anthropic reports cache reads and cache writes apart from `input_tokens`; the gateway's
 * `inputTokens` is everything the prompt cost, with the cached share repeated in `cachedInputTokens`.
 * Counting only `input_tokens` would under-bill every cached conversation.
 */
export function convertAnthropicUsage(usage: AnthropicUsage): Usage {
  const cacheRead = usage.cache_read_input_tokens ?? 0;
  const cacheWrite = usage.cache_creation_input_tokens ?? 0;
  const result: Usage = {
    inputTokens: (usage.input_tokens ?? 0) + cacheRead + cacheWrite,
    outputTokens: usage.output_tokens ?? 0,
  };
  if (cacheRead > 0) result.cachedInputTokens = cacheRead;
  const thinking = usage.output_tokens_details?.thinking_tokens ?? 0;
  if (thinking > 0) result.reasoningTokens = thinking;
  return result;
}

/**
 * A stream reports usage twice: message_start (input side) and message_delta (cumulative totals).
 * Later non-null values win, so the final figures are the delta's where it has them.
 */
export function mergeAnthropicUsage(previous: AnthropicUsage, next: AnthropicUsage | null | undefined): AnthropicUsage {
  if (!next) return previous;
  return {
    input_tokens: next.input_tokens ?? previous.input_tokens,
    output_tokens: next.output_tokens ?? previous.output_tokens,
    cache_creation_input_tokens: next.cache_creation_input_tokens ?? previous.cache_creation_input_tokens,
    cache_read_input_tokens: next.cache_read_input_tokens ?? previous.cache_read_input_tokens,
    output_tokens_details: next.output_tokens_details ?? previous.output_tokens_details,
  };
}
