import type { ModelMessage, ToolDefinition } from './language-model.ts';

/**
 * A quick token estimate without a tokenizer: about four characters a token for Latin text, one a
 * token for other scripts (CJK runs about one token a character), plus a few tokens a message.
 * It errs low rather than high, so a prompt is never refused that the model would have taken.
 */
export function estimateTextTokens(text: string): number {
  let ascii = 0;
  let other = 0;
  for (const char of text) {
    if (char.charCodeAt(0) < 128) ascii += 1;
    else other += 1;
  }
  return Math.ceil(ascii / 4) + other;
}

/** One message of the given text: the text, plus the few tokens a message's framing takes. */
export function estimateMessageTokens(text: string): number {
  return 3 + estimateTextTokens(text);
}

export function estimatePromptTokens(prompt: readonly ModelMessage[], tools: readonly ToolDefinition[] = []): number {
  const messages = prompt.reduce((sum, message) => {
    const text =
      typeof message.content === 'string'
        ? message.content
        : message.content.map((part) => ('text' in part ? part.text : 'output' in part ? part.output : `${part.toolName}${part.input}`)).join('');
    return sum + estimateMessageTokens(text);
  }, 0);
  return messages + (tools.length ? estimateTextTokens(JSON.stringify(tools)) : 0);
}
