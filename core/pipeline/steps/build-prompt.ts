import type { Message } from '../../contracts/message.ts';
import type { ModelMessage } from '../../models/language-model.ts';
import type { Step } from '../compose.ts';
import type { JobContext } from '../context.ts';
import type { Retrieved } from './retrieve-context.ts';

export interface Prompted {
  prompt: ModelMessage[];
}

/** A conversation turn as the model interface takes it. */
export function toModelMessage({ role, content }: Message): ModelMessage {
  if (role === 'system') return { role, content };
  return { role, content: [{ type: 'text', text: content }] };
}

/** The conversation as the model will see it: retrieved sources first, as a system message, then the turns. */
export function buildPrompt(): Step<JobContext & Retrieved, Prompted> {
  return {
    name: 'build-prompt',
    async run(ctx, next) {
      const sources = ctx.context.map((chunk, index) => `[${index + 1}] ${chunk.source}\n${chunk.text}`).join('\n\n');
      const turns = ctx.job.input.messages.map(toModelMessage);
      ctx.prompt = sources ? [{ role: 'system', content: `Sources you may cite by number:\n\n${sources}` }, ...turns] : turns;
      await next();
    },
  };
}
