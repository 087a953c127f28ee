import type { Message } from '../../contracts/message.ts';
import type { Step } from '../compose.ts';
import type { JobContext } from '../context.ts';
import type { Retrieved } from './retrieve-context.ts';

export interface Prompted {
  prompt: Message[];
}

/** The conversation as the model will see it: retrieved sources first, as a system message, then the turns. */
export function buildPrompt(): Step<JobContext & Retrieved, Prompted> {
  return {
    name: 'build-prompt',
    async run(ctx, next) {
      const sources = ctx.context.map((chunk, index) => `[${index + 1}] ${chunk.source}\n${chunk.text}`).join('\n\n');
      ctx.prompt = sources
        ? [{ role: 'system', content: `Sources you may cite by number:\n\n${sources}` }, ...ctx.job.input.messages]
        : ctx.job.input.messages;
      await next();
    },
  };
}
