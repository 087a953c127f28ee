import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeKnowledgeStoreContract } from '../knowledge-store.contract-test.ts';
import { SqliteKnowledgeStore } from './sqlite-knowledge-store.ts';

describeKnowledgeStoreContract('embedded (SQLite file)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-knowledge-'));
  const store = new SqliteKnowledgeStore(join(dir, 'knowledge.db'));
  return { store, dispose: async () => (await store.close(), rmSync(dir, { recursive: true, force: true })) };
});
