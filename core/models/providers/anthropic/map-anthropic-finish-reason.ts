import type { FinishReason } from '../../../contracts/message.ts';

/**
 * Anthropic's `stop_reason` in the gateway's terms. Unknown or future reasons (pause_turn,
 * model_context_window_exceeded, ...) become 'other' rather than failing the answer.
 */
export function mapAnthropicFinishReason(stopReason: string | null | undefined): FinishReason {
  switch (stopReason) {
    case 'end_turn':
    case 'stop_sequence':
      return 'stop';
    case 'max_tokens':
      return 'length';
    case 'tool_use':
      return 'tool-calls';
    case 'refusal':
      return 'content-filter';
    default:
      return 'other';
  }
}
