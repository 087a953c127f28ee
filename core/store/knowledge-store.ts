/** A document an admin added to a workspace's knowledge base. */
export interface KnowledgeDocument {
  id: string;
  /** `default` (shared by every chat) or a chat workspace such as `slack:T0123`. */
  workspace: string;
  /** Where it came from, as cited: a file name or a URL. */
  name: string;
  mediaType: string | null;
  format: 'text' | 'markdown' | 'pdf' | 'html';
  /** Characters of extracted text. */
  chars: number;
  chunks: number;
  /** `provider/model` whose vectors the chunks carry; a query is compared only with the same model's. */
  embeddingModel: string;
  createdAt: string;
  /** The user who added it; null when added by a script. */
  createdBy: string | null;
}

export interface StoredChunk {
  index: number;
  text: string;
  /** Character offsets in the document's text. */
  start: number;
  end: number;
  vector: number[];
}

export interface ChunkHit {
  documentId: string;
  documentName: string;
  workspace: string;
  index: number;
  text: string;
  /** Cosine similarity to the query, -1 to 1. */
  score: number;
}

export interface ChunkQuery {
  workspaces: readonly string[];
  embeddingModel: string;
  vector: readonly number[];
  limit: number;
  /** Hits below this similarity are left out. */
  minScore: number;
}

/**
 * Documents and their embedded chunks. The embedded store searches exactly (every chunk of the
 * workspaces compared); a server store may use its vector index. Implementations must pass
 * `knowledge-store.contract-test.ts`.
 */
export interface KnowledgeStore {
  /** Stores the document and its chunks, replacing any earlier version with the same id. */
  putDocument(document: KnowledgeDocument, chunks: readonly StoredChunk[]): Promise<void>;
  getDocument(id: string): Promise<KnowledgeDocument | undefined>;
  /** Newest first; only `workspace`'s when given. */
  listDocuments(options?: { workspace?: string; limit?: number }): Promise<KnowledgeDocument[]>;
  /** False when it did not exist. */
  deleteDocument(id: string): Promise<boolean>;
  /** Whether any of `workspaces` holds a document: asked before every message's retrieval, so it must be cheap. */
  holdsAny(workspaces: readonly string[]): Promise<boolean>;
  /** The chunks most similar to the query, best first. */
  searchChunks(query: ChunkQuery): Promise<ChunkHit[]>;
  close(): Promise<void>;
}
