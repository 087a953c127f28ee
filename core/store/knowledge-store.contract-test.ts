import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KnowledgeDocument, KnowledgeStore, StoredChunk } from './knowledge-store.ts';

/** The behaviour every KnowledgeStore must have, given a factory for a fresh, empty one. */
export function describeKnowledgeStoreContract(name: string, open: () => Promise<{ store: KnowledgeStore; dispose: () => Promise<void> }>) {
  describe(`KnowledgeStore contract: ${name}`, () => {
    let store: KnowledgeStore;
    let dispose: () => Promise<void>;
    beforeEach(async () => {
      ({ store, dispose } = await open());
    });
    afterEach(async () => {
      await dispose();
    });

    const document = (id: string, workspace: string, patch: Partial<KnowledgeDocument> = {}): KnowledgeDocument => ({
      id,
      workspace,
      name: `${id}.md`,
      mediaType: 'text/markdown',
      format: 'markdown',
      chars: 10,
      chunks: 2,
      embeddingModel: 'm1',
      createdAt: new Date().toISOString(),
      createdBy: 'usr_1',
      ...patch,
    });
    const chunk = (index: number, vector: number[], text = `chunk ${index}`): StoredChunk => ({ index, text, start: index * 10, end: index * 10 + 9, vector });

    it('stores, lists newest first, gets and deletes documents', async () => {
      await store.putDocument(document('d1', 'default', { createdAt: '2026-01-01T00:00:00.000Z' }), [chunk(0, [1, 0])]);
      await store.putDocument(document('d2', 'slack:T1', { createdAt: '2026-01-02T00:00:00.000Z' }), [chunk(0, [0, 1])]);
      expect((await store.listDocuments()).map((d) => d.id)).toEqual(['d2', 'd1']);
      expect((await store.listDocuments({ workspace: 'default' })).map((d) => d.id)).toEqual(['d1']);
      expect([await store.holdsAny(['default']), await store.holdsAny(['nowhere', 'slack:T1']), await store.holdsAny(['nowhere']), await store.holdsAny([])]).toEqual([true, true, false, false]);
      expect(await store.getDocument('d1')).toEqual(document('d1', 'default', { createdAt: '2026-01-01T00:00:00.000Z' }));
      expect(await store.deleteDocument('d1')).toBe(true);
      expect(await store.deleteDocument('d1')).toBe(false);
      expect(await store.getDocument('d1')).toBeUndefined();
      expect(await store.holdsAny(['default'])).toBe(false);
      expect(await store.searchChunks({ workspaces: ['default'], embeddingModel: 'm1', vector: [1, 0], limit: 5, minScore: -1 })).toEqual([]);
    });

    it('finds the nearest chunks by cosine similarity, only in the asked workspaces and embedding model, above the threshold', async () => {
      await store.putDocument(document('d1', 'default'), [chunk(0, [1, 0, 0], 'east'), chunk(1, [0.7, 0.7, 0], 'north-east')]);
      await store.putDocument(document('d2', 'slack:T1'), [chunk(0, [0, 2, 0], 'north, longer vector')]);
      await store.putDocument(document('d3', 'slack:T2'), [chunk(0, [1, 0, 0], 'east elsewhere')]);
      await store.putDocument(document('d4', 'default', { embeddingModel: 'm2' }), [chunk(0, [1, 0, 0], 'other model')]);
      const hits = await store.searchChunks({ workspaces: ['default', 'slack:T1'], embeddingModel: 'm1', vector: [0, 1, 0], limit: 2, minScore: 0.1 });
      expect(hits.map((hit) => [hit.text, Number(hit.score.toFixed(3))])).toEqual([
        ['north, longer vector', 1],
        ['north-east', 0.707],
      ]);
      expect(hits[0]).toMatchObject({ documentId: 'd2', documentName: 'd2.md', workspace: 'slack:T1', index: 0 });
      const strict = await store.searchChunks({ workspaces: ['default'], embeddingModel: 'm1', vector: [0, 1, 0], limit: 5, minScore: 0.8 });
      expect(strict).toEqual([]);
    });

    it('replaces a document stored again under the same id, chunks included', async () => {
      await store.putDocument(document('d1', 'default'), [chunk(0, [1, 0]), chunk(1, [0, 1])]);
      await store.putDocument(document('d1', 'default', { chunks: 1 }), [chunk(0, [0, 1], 'new')]);
      const hits = await store.searchChunks({ workspaces: ['default'], embeddingModel: 'm1', vector: [0, 1], limit: 5, minScore: -1 });
      expect(hits.map((hit) => hit.text)).toEqual(['new']);
      expect((await store.getDocument('d1'))?.chunks).toBe(1);
    });
  });
}
