import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { statementCache } from './statement-cache.ts';
import type { ChunkHit, ChunkQuery, KnowledgeDocument, KnowledgeStore, StoredChunk } from '../knowledge-store.ts';

const schema = `
  CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY, workspace TEXT NOT NULL, name TEXT NOT NULL, media_type TEXT, format TEXT NOT NULL,
    chars INTEGER NOT NULL, chunks INTEGER NOT NULL, embedding_model TEXT NOT NULL, created_at TEXT NOT NULL, created_by TEXT);
  CREATE INDEX IF NOT EXISTS documents_by_workspace ON documents(workspace, created_at);
  CREATE TABLE IF NOT EXISTS chunks (
    document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE, idx INTEGER NOT NULL, workspace TEXT NOT NULL,
    embedding_model TEXT NOT NULL, text TEXT NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL, vector BLOB NOT NULL,
    PRIMARY KEY (document_id, idx));
  CREATE INDEX IF NOT EXISTS chunks_by_workspace ON chunks(workspace, embedding_model);
`;

type Row = Record<string, unknown>;

const toDocument = (row: Row): KnowledgeDocument => ({
  id: String(row.id),
  workspace: String(row.workspace),
  name: String(row.name),
  mediaType: row.media_type === null ? null : String(row.media_type),
  format: row.format as KnowledgeDocument['format'],
  chars: Number(row.chars),
  chunks: Number(row.chunks),
  embeddingModel: String(row.embedding_model),
  createdAt: String(row.created_at),
  createdBy: row.created_by === null ? null : String(row.created_by),
});

/**
 * The knowledge base in its own embedded SQLite file (DATA_DIR/knowledge.db: a second connection to the
 * gateway's file would wait on its open write batch, synchronously, so never commit it). Vectors
 * are float32 blobs; a search reads every chunk of the asked workspaces and keeps the best: exact, and
 * fast enough for the thousands of chunks a single machine's knowledge base holds.
 */
export class SqliteKnowledgeStore implements KnowledgeStore {
  readonly #db: DatabaseSync;
  readonly #statement: (sql: string) => StatementSync;

  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.#db = new DatabaseSync(file);
    this.#db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;');
    this.#db.exec(schema);
    this.#statement = statementCache(this.#db);
  }

  async putDocument(document: KnowledgeDocument, chunks: readonly StoredChunk[]) {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      this.#statement('DELETE FROM documents WHERE id = ?').run(document.id);
      this.#statement('INSERT INTO documents (id, workspace, name, media_type, format, chars, chunks, embedding_model, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(document.id, document.workspace, document.name, document.mediaType, document.format, document.chars, document.chunks, document.embeddingModel, document.createdAt, document.createdBy);
      const insert = this.#statement('INSERT INTO chunks (document_id, idx, workspace, embedding_model, text, start, end, vector) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
      for (const chunk of chunks) {
        const vector = new Uint8Array(new Float32Array(chunk.vector).buffer);
        insert.run(document.id, chunk.index, document.workspace, document.embeddingModel, chunk.text, chunk.start, chunk.end, vector);
      }
      this.#db.exec('COMMIT');
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  async getDocument(id: string) {
    const row = this.#statement('SELECT * FROM documents WHERE id = ?').get(id);
    return row ? toDocument(row) : undefined;
  }

  async listDocuments({ workspace, limit = 100 }: { workspace?: string; limit?: number } = {}) {
    const rows = workspace === undefined
      ? this.#statement('SELECT * FROM documents ORDER BY created_at DESC, rowid DESC LIMIT ?').all(limit)
      : this.#statement('SELECT * FROM documents WHERE workspace = ? ORDER BY created_at DESC, rowid DESC LIMIT ?').all(workspace, limit);
    return rows.map(toDocument);
  }

  async holdsAny(workspaces: readonly string[]) {
    // One indexed probe per workspace (documents_by_workspace): no row is read, sorted or mapped.
    const probe = this.#statement('SELECT 1 FROM documents WHERE workspace = ? LIMIT 1');
    return workspaces.some((workspace) => probe.get(workspace) !== undefined);
  }

  async deleteDocument(id: string) {
    return this.#statement('DELETE FROM documents WHERE id = ?').run(id).changes > 0;
  }

  async searchChunks({ workspaces, embeddingModel, vector, limit, minScore }: ChunkQuery): Promise<ChunkHit[]> {
    if (workspaces.length === 0 || limit <= 0) return [];
    const query = Float32Array.from(vector);
    const queryNorm = Math.hypot(...query) || 1;
    const hits: ChunkHit[] = [];
    const placeholders = workspaces.map(() => '?').join(', ');
    const rows = this.#statement(
      `SELECT c.document_id, c.idx, c.workspace, c.text, c.vector, d.name FROM chunks c JOIN documents d ON d.id = c.document_id
       WHERE c.workspace IN (${placeholders}) AND c.embedding_model = ?`,
    ).iterate(...workspaces, embeddingModel);
    for (const row of rows) {
      const bytes = row.vector as Uint8Array;
      const candidate = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
      if (candidate.length !== query.length) continue;
      let dot = 0;
      let norm = 0;
      for (let i = 0; i < query.length; i += 1) {
        dot += query[i]! * candidate[i]!;
        norm += candidate[i]! * candidate[i]!;
      }
      const score = dot / (queryNorm * (Math.sqrt(norm) || 1));
      if (score < minScore) continue;
      if (hits.length === limit && score <= hits.at(-1)!.score) continue;
      const hit = { documentId: String(row.document_id), documentName: String(row.name), workspace: String(row.workspace), index: Number(row.idx), text: String(row.text), score };
      hits.splice(sortedIndex(hits, score), 0, hit);
      if (hits.length > limit) hits.pop();
    }
    return hits;
  }

  async close() {
    if (this.#db.isOpen) this.#db.close();
  }
}

/** Where a hit with `score` goes in `hits`, best first; ties keep the earlier one first. */
function sortedIndex(hits: readonly ChunkHit[], score: number): number {
  let index = hits.length;
  while (index > 0 && hits[index - 1]!.score < score) index -= 1;
  return index;
}
