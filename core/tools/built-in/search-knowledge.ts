import { z } from 'zod';
import type { ChunkHit } from '../../store/knowledge-store.ts';
import { searchedWorkspaces } from '../../knowledge/workspaces.ts';
import type { BackendTool } from '../tool.ts';

/** What the tool needs of the knowledge base. */
export interface KnowledgeSearch {
  holdsAny(workspaces: readonly string[]): Promise<boolean>;
  search(workspaces: readonly string[], query: string, options: { limit?: number; abortSignal?: AbortSignal }): Promise<ChunkHit[]>;
}

const input = z.object({
  query: z.string().min(1).max(1000).describe('What to look for, in words'),
  limit: z.number().int().min(1).max(10).optional().describe('Passages to return; default 4'),
});

/** Searches the workspace's documents, for a model that needs more than the passages it was given. */
export function searchKnowledge(knowledge: KnowledgeSearch): BackendTool<z.infer<typeof input>> {
  return {
    name: 'search_knowledge',
    description: "Searches the knowledge base (the documents admins added) and returns the passages nearest in meaning, with their source.",
    input,
    roles: ['admin', 'user'],
    timeoutMs: 10_000,
    readsOutside: true,
    available: ({ workspace }) => knowledge.holdsAny(searchedWorkspaces(workspace)),
    async run({ query, limit }, { workspace, abortSignal }) {
      const hits = await knowledge.search(searchedWorkspaces(workspace), query, { limit, abortSignal });
      if (hits.length === 0) return { text: 'No passage in the knowledge base matches.' };
      return { text: hits.map((hit) => `Source: ${hit.documentName} (score ${hit.score.toFixed(2)})\n${hit.text}`).join('\n\n---\n\n'), untrusted: true };
    },
  };
}
