import type { FinishReason } from '../../../contracts/message.ts';

/** Reasons Google gives when its safety systems stopped or withheld the answer. */
const filtered = new Set([
  'SAFETY',
  'RECITATION',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'IMAGE_SAFETY',
  'IMAGE_PROHIBITED_CONTENT',
  'IMAGE_RECITATION',
]);

/**
 * Gemini's finishReason as the gateway's. Gemini ends a turn that calls functions with plain STOP,
 * so whether the answer holds function calls decides between 'stop' and 'tool-calls'. A prompt blocked
 * before any candidate (promptFeedback.blockReason) is a content filter too.
 */
export function mapGoogleFinishReason({
  finishReason,
  hasToolCalls,
  blockReason,
}: {
  finishReason: string | undefined;
  hasToolCalls: boolean;
  blockReason?: string | undefined;
}): FinishReason {
  if (blockReason) return 'content-filter';
  switch (finishReason) {
    case 'STOP':
      return hasToolCalls ? 'tool-calls' : 'stop';
    case 'MAX_TOKENS':
      return 'length';
    case 'MALFORMED_FUNCTION_CALL':
      return 'error';
    default:
      return finishReason !== undefined && filtered.has(finishReason) ? 'content-filter' : 'other';
  }
}
