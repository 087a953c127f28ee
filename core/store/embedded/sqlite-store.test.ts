import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { setImmediate as nextTurn } from 'node:timers/promises';
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

  it('adds the columns later releases need to a file an earlier release made', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-store-'));
    const file = join(dir, 'gateway.db');
    const old = new DatabaseSync(file);
    old.exec(`CREATE TABLE users (id TEXT PRIMARY KEY, role TEXT NOT NULL, created_at TEXT NOT NULL, last_seen_at TEXT NOT NULL);
      INSERT INTO users VALUES ('usr_old', 'admin', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');
      CREATE TABLE requests (
        request_id TEXT PRIMARY KEY, job_id TEXT NOT NULL, user_id TEXT, platform TEXT NOT NULL, model TEXT,
        status TEXT NOT NULL, error_code TEXT, latency_ms INTEGER NOT NULL, input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL, at TEXT NOT NULL);
      INSERT INTO requests VALUES ('req_old', 'job_old', 'usr_old', 'http', 'openai/gpt-4o-mini', 'ok', NULL, 40, 3, 7, '2026-01-01T00:00:00.000Z');`);
    old.close();
    const store = new SqliteStore(file);
    expect(await store.getUser('usr_old')).toMatchObject({ role: 'admin', limits: {} });
    await store.setLimits('usr_old', { requestsPerMinute: 3 });
    expect((await store.getUser('usr_old'))?.limits).toEqual({ requestsPerMinute: 3 });
    // The request log gains the routing policy's deployment and branch: null for what was logged before.
    const check = new DatabaseSync(file);
    const columns = check.prepare('PRAGMA table_info(requests)').all().map((row) => row.name);
    check.close();
    expect(columns).toEqual(expect.arrayContaining(['deployment', 'branch', 'provider', 'cost_usd']));
    expect(await store.listRequests()).toEqual([expect.objectContaining({ requestId: 'req_old', deployment: null, branch: null, costUsd: 0 })]);
    await store.logRequest({
      requestId: 'req_new', jobId: 'job_new', userId: 'usr_old', platform: 'http', externalId: 'alice', provider: 'openai', model: 'openai/gpt-4o-mini',
      tier: 'instant', deployment: 'a', branch: 'weighted', status: 'ok', errorCode: null, latencyMs: 20, inputTokens: 1, outputTokens: 2,
      cachedInputTokens: 0, reasoningTokens: 0, costUsd: 0.5, at: '2026-01-02T00:00:00.000Z',
    });
    expect((await store.usageReport({ since: '2026-01-01T00:00:00.000Z', groupBy: ['deployment', 'branch'] })).map((row) => [row.deployment, row.branch, row.requests, row.inputTokens]))
      .toEqual([[null, null, 1, 3], ['a', 'weighted', 1, 1]]);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('commits the writes of one event-loop turn together, visible to another process once the turn ends', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-store-'));
    const file = join(dir, 'gateway.db');
    const store = new SqliteStore(file);
    const other = new DatabaseSync(file);
    const count = () => Number(other.prepare('SELECT count(*) AS n FROM audit').get()!.n);
    const record = (id: string) => ({ id, requestId: 'req_1', at: new Date().toISOString(), actorId: null, action: 'test', outcome: 'ok' as const, detail: {} });
    await store.appendAudit(record('a1'));
    await store.appendAudit(record('a2'));
    // The writer sees its own writes at once; another connection sees none until the commit.
    expect((await store.listAudit()).length).toBe(2);
    expect(count()).toBe(0);
    await nextTurn();
    expect(count()).toBe(2);
    // A transaction that fails inside the batch undoes only itself.
    other.exec('CREATE TRIGGER no_mallory BEFORE INSERT ON identities WHEN NEW.external_id = \'mallory\' BEGIN SELECT RAISE(ABORT, \'refused\'); END');
    await store.appendAudit(record('a3'));
    await expect(store.resolveUser({ platform: 'http', externalId: 'mallory' }, { role: 'user' })).rejects.toThrow('refused');
    await nextTurn();
    expect(count()).toBe(3);
    expect(Number(other.prepare('SELECT count(*) AS n FROM users').get()!.n)).toBe(0);
    other.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
