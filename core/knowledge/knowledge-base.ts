import { randomUUID } from 'node:crypto';
import { GatewayError } from '../errors/gateway-error.ts';
import type { EmbeddingModel } from '../models/language-model.ts';
import type { ChunkHit, KnowledgeDocument, KnowledgeStore } from '../store/knowledge-store.ts';
import { chunkText } from './chunk-text.ts';
import { extractText, UnsupportedDocumentError } from './extract-text.ts';

export interface KnowledgeOptions {
  /** RAG_CHUNK_SIZE: characters a chunk holds at most. Default: 1200. */
  chunkSize?: number;
  /** RAG_CHUNK_OVERLAP: characters a chunk repeats of the one before. Default: 200. */
  chunkOverlap?: number;
  /** RAG_TOP_K: passages put in a prompt at most; 0 turns retrieval off. Default: 4. */
  topK?: number;
  /** RAG_MIN_SCORE: the cosine similarity a passage needs to be used. Default: 0.3. */
  minScore?: number;
}

export interface NewDocument {
  workspace: string;
  /** A file name or the URL it came from: how answers cite it. */
  name: string;
  data: Uint8Array;
  mediaType?: string;
  createdBy: string | null;
}

/** Texts embedded in one provider call at most. */
const embedBatch = 64;

/** The name vectors are filed under: the one that made them, as a client would name it. */
export const embeddingModelName = (model: EmbeddingModel) => (model.provider === 'offline' ? 'offline' : `${model.provider}/${model.modelId}`);

/**
 * A workspace's documents, searchable by meaning: text extracted (text, Markdown, HTML, PDF), chunked
 * with overlap, embedded through the provider layer, and searched by cosine similarity.
 */
export class KnowledgeBase {
  readonly #store: KnowledgeStore;
  readonly #embedder: () => EmbeddingModel;
  readonly #options: Required<KnowledgeOptions>;

  constructor(store: KnowledgeStore, embedder: () => EmbeddingModel, options: KnowledgeOptions = {}) {
    this.#store = store;
    this.#embedder = embedder;
    const { chunkSize = 1200, chunkOverlap = 200, topK = 4, minScore = 0.3 } = options;
    this.#options = { chunkSize, chunkOverlap, topK, minScore };
  }

  get topK() {
    return this.#options.topK;
  }

  async add(input: NewDocument, abortSignal?: AbortSignal): Promise<KnowledgeDocument> {
    let extracted;
    try {
      extracted = await extractText(input);
    } catch (error) {
      if (error instanceof UnsupportedDocumentError) throw new GatewayError('unsupported_media_type', error.message, { cause: error });
      throw error;
    }
    const chunks = chunkText(extracted.text, { size: this.#options.chunkSize, overlap: this.#options.chunkOverlap });
    if (chunks.length === 0) throw new GatewayError('invalid_request', `${input.name} has no text to add.`, { param: 'content' });
    const model = this.#embedder();
    const vectors: number[][] = [];
    for (let from = 0; from < chunks.length; from += embedBatch) {
      const { embeddings } = await model.doEmbed({ values: chunks.slice(from, from + embedBatch).map((chunk) => chunk.text), abortSignal });
      vectors.push(...embeddings);
    }
    const document: KnowledgeDocument = {
      id: `doc_${randomUUID().replaceAll('-', '')}`,
      workspace: input.workspace,
      name: input.name,
      mediaType: input.mediaType ?? null,
      format: extracted.format,
      chars: extracted.text.length,
      chunks: chunks.length,
      embeddingModel: embeddingModelName(model),
      createdAt: new Date().toISOString(),
      createdBy: input.createdBy,
    };
    await this.#store.putDocument(document, chunks.map((chunk, index) => ({ index, text: chunk.text, start: chunk.start, end: chunk.end, vector: vectors[index]! })));
    return document;
  }

  list(workspace?: string, limit?: number) {
    return this.#store.listDocuments({ workspace, limit });
  }

  get(id: string) {
    return this.#store.getDocument(id);
  }

  remove(id: string) {
    return this.#store.deleteDocument(id);
  }

  /** Whether any of the workspaces holds a document: a search (a paid embedding) is skipped when none does. */
  holdsAny(workspaces: readonly string[]): Promise<boolean> {
    return this.#store.holdsAny(workspaces);
  }

  /** The passages of `workspaces` nearest in meaning to `query`, best first. */
  async search(workspaces: readonly string[], query: string, { limit = this.#options.topK, abortSignal }: { limit?: number; abortSignal?: AbortSignal } = {}): Promise<ChunkHit[]> {
    if (limit <= 0 || !query.trim() || !(await this.holdsAny(workspaces))) return [];
    const model = this.#embedder();
    const { embeddings } = await model.doEmbed({ values: [query], abortSignal });
    return this.#store.searchChunks({ workspaces, embeddingModel: embeddingModelName(model), vector: embeddings[0]!, limit, minScore: this.#options.minScore });
  }
}
