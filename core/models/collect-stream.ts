import type { Usage } from '../contracts/message.ts';
import type { Content, GenerateResult, StreamResult } from './language-model.ts';

/**
 * Reads a stream to its end and assembles the answer it carried, as doGenerate would have returned
 * it. An `error` part is thrown: a stream that failed never becomes a partial answer.
 */
export async function collectStream({ stream }: StreamResult): Promise<GenerateResult> {
  const content: Content[] = [];
  let text = '';
  const flushText = () => {
    if (text) content.push({ type: 'text', text });
    text = '';
  };
  let response: GenerateResult['response'];
  for await (const part of stream) {
    switch (part.type) {
      case 'text-delta':
        text += part.delta;
        break;
      case 'tool-call':
        flushText();
        content.push({ type: 'tool-call', toolCallId: part.toolCallId, toolName: part.toolName, input: part.input });
        break;
      case 'response-metadata': {
        const { type: _type, ...metadata } = part;
        response = { ...response, ...Object.fromEntries(Object.entries(metadata).filter(([, value]) => value !== undefined)) };
        break;
      }
      case 'error':
        throw part.error;
      case 'finish':
        flushText();
        return { content, finishReason: part.finishReason, usage: part.usage, ...(response ? { response } : {}) };
    }
  }
  throw new Error('the stream ended without a finish part');
}

/** The text of an answer: its text parts, in order. */
export function textOf(content: readonly Content[]): string {
  return content.map((part) => (part.type === 'text' ? part.text : '')).join('');
}

export function addUsage(a: Usage, b: Usage): Usage {
  const sum = (x?: number, y?: number) => (x === undefined && y === undefined ? undefined : (x ?? 0) + (y ?? 0));
  const cached = sum(a.cachedInputTokens, b.cachedInputTokens);
  const reasoning = sum(a.reasoningTokens, b.reasoningTokens);
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    ...(cached === undefined ? {} : { cachedInputTokens: cached }),
    ...(reasoning === undefined ? {} : { reasoningTokens: reasoning }),
  };
}
