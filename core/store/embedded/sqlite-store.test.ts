import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeStoreContract } from '../store.contract-test.ts';
import { SqliteStore } from './sqlite-store.ts';

describeStoreContract('embedded (SQLite file)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-store-'));
  const store = new SqliteStore(join(dir, 'gateway.db'));
  return { store, dispose: async () => (await store.close(), rmSync(dir, { recursive: true, force: true })) };
});

describe('SqliteStore', () => {
  it('keeps what it stored across reopening the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-store-'));
    const file = join(dir, 'gateway.db');
    const first = new SqliteStore(file);
    const user = await first.resolveUser({ platform: 'http', externalId: 'alice' }, { role: 'admin' });
    await first.close();
    const second = new SqliteStore(file);
    expect((await second.resolveUser({ platform: 'http', externalId: 'alice' }, { role: 'user' })).id).toBe(user.id);
    await second.close();
    await expect(second.ping()).rejects.toThrow('closed');
    rmSync(dir, { recursive: true, force: true });
  });
});
