import type { Step } from '../compose.ts';
import type { JobContext } from '../context.ts';

export interface RetrievedChunk {
  source: string;
  text: string;
  score: number;
}

export interface Retrieved {
  context: RetrievedChunk[];
}

/** Retrieval (RAG) over the workspace's documents arrives with the memory issue; until then nothing is retrieved. */
export function retrieveContext(): Step<JobContext, Retrieved> {
  return {
    name: 'retrieve-context',
    async run(ctx, next) {
      ctx.context = [];
      await next();
    },
  };
}
