import type { Message } from '../../contracts/message.ts';
import type { ModelMessage } from '../../models/language-model.ts';
import type { Step } from '../compose.ts';
import type { JobContext } from '../context.ts';
import type { Retrieved } from './retrieve-context.ts';

export interface Prompted {
  prompt: ModelMessage[];
}

/**
 * Conversation turns as the model interface takes them. A tool result names its function, which
 * OpenAI-style clients leave out (they send only the call's id): it is found in the earlier call.
 */
export function toModelMessages(messages: readonly Message[]): ModelMessage[] {
  const names = new Map<string, string>();
  return messages.map((message): ModelMessage => {
    switch (message.role) {
      case 'system':
        return message;
      case 'user':
        return { role: 'user', content: [{ type: 'text', text: message.content }] };
      case 'assistant': {
        const calls = (message.toolCalls ?? []).map((call) => {
          names.set(call.id, call.name);
          return { type: 'tool-call' as const, toolCallId: call.id, toolName: call.name, input: call.arguments };
        });
        return { role: 'assistant', content: [...(message.content ? [{ type: 'text' as const, text: message.content }] : []), ...calls] };
      }
      case 'tool':
        return {
          role: 'tool',
          content: [{ type: 'tool-result', toolCallId: message.toolCallId, toolName: names.get(message.toolCallId) ?? '', output: message.content }],
        };
    }
  });
}

/** The conversation as the model will see it: retrieved sources first, as a system message, then the turns. */
export function buildPrompt(): Step<JobContext & Retrieved, Prompted> {
  return {
    name: 'build-prompt',
    async run(ctx, next) {
      const sources = ctx.context.map((chunk, index) => `[${index + 1}] ${chunk.source}\n${chunk.text}`).join('\n\n');
      const turns = toModelMessages(ctx.job.input.messages);
      ctx.prompt = sources ? [{ role: 'system', content: `Sources you may cite by number:\n\n${sources}` }, ...turns] : turns;
      await next();
    },
  };
}
