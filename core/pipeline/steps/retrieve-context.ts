import type { KnowledgeBase } from '../../knowledge/knowledge-base.ts';
import { searchedWorkspaces, workspaceOf } from '../../knowledge/workspaces.ts';
import type { Step } from '../compose.ts';
import type { JobContext } from '../context.ts';

export interface RetrievedChunk {
  /** The document's name, as cited. */
  source: string;
  documentId: string;
  text: string;
  score: number;
}

export interface Retrieved {
  /** Passages of the workspace's documents nearest the newest message, best first. */
  context: RetrievedChunk[];
}

/**
 * Retrieval (RAG): the newest user message is embedded and the nearest passages of the chat's workspace
 * and the shared `default` one are put in the prompt, to be cited by number. Checkpointed, so a retried
 * job sees the same passages (and pays for the embedding once). Nothing is embedded when the workspaces
 * hold no document.
 */
export function retrieveContext({ knowledge }: { knowledge?: KnowledgeBase } = {}): Step<JobContext, Retrieved> {
  return {
    name: 'retrieve-context',
    async run(ctx, next) {
      const { job } = ctx;
      const query = job.input.messages.findLast((message) => message.role === 'user')?.content ?? '';
      const workspaces = searchedWorkspaces(workspaceOf(job));
      // No documents, nothing to search: no embedding and no checkpoint, which most jobs would pay for nothing.
      const searchable = knowledge !== undefined && (await knowledge.holdsAny(workspaces));
      ctx.context = searchable
        ? await ctx.checkpoints.once('retrieve', async () =>
            (await knowledge.search(workspaces, query, { abortSignal: ctx.abortSignal })).map((hit) => ({
              source: hit.documentName,
              documentId: hit.documentId,
              text: hit.text,
              score: Math.round(hit.score * 1000) / 1000,
            })),
          )
        : [];
      await next();
    },
  };
}
