import type { InboundJob } from '../../contracts/job.ts';
import type { Message } from '../../contracts/message.ts';
import type { ModelMessage } from '../../models/language-model.ts';
import type { Step } from '../compose.ts';
import type { JobContext } from '../context.ts';
import type { Recalled } from './recall-conversation.ts';
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

/** One sentence the model reads before a chat reply: what the chat can show, so it writes nothing else. */
export function describeCapabilities({ platform, maxMessageLength, formatting, tables }: NonNullable<InboundJob['capabilities']>): string {
  const shows = formatting.length ? `Markdown ${formatting.join(', ')} show as formatting there` : 'no formatting shows there; write plain text';
  const noTables = tables ? '' : ' Tables cannot be shown: use a list, or a code block with aligned columns.';
  return `You are replying in a ${platform} chat: ${shows}.${noTables} Keep replies short enough to read in a chat; a reply over ${maxMessageLength} characters arrives as several messages.`;
}

/**
 * The conversation as the model will see it: what the chat can show (for chat platforms), retrieved
 * sources, both as system messages, then the earlier turns a chat remembers, then this job's.
 */
export function buildPrompt(): Step<JobContext & Retrieved & Partial<Recalled>, Prompted> {
  return {
    name: 'build-prompt',
    async run(ctx, next) {
      const { capabilities } = ctx.job;
      const sources = ctx.context.map((chunk, index) => `[${index + 1}] ${chunk.source}\n${chunk.text}`).join('\n\n');
      const system: ModelMessage[] = [
        ...(capabilities ? [{ role: 'system' as const, content: describeCapabilities(capabilities) }] : []),
        ...(sources ? [{ role: 'system' as const, content: `Sources you may cite by number:\n\n${sources}` }] : []),
      ];
      ctx.prompt = [...system, ...toModelMessages([...(ctx.history ?? []), ...ctx.job.input.messages])];
      await next();
    },
  };
}
