import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditRecord, RequestLogEntry, Store, StoredMessage } from './store.ts';

/**
 * The behaviour every Store must have. An implementation's own test file calls this with a factory
 * that gives a fresh, empty store, and a cleanup.
 */
export function describeStoreContract(name: string, open: () => Promise<{ store: Store; dispose: () => Promise<void> }>) {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    let dispose: () => Promise<void>;

    beforeEach(async () => {
      ({ store, dispose } = await open());
    });
    afterEach(async () => {
      await dispose();
    });

    const message = (id: string, at: string, overrides: Partial<StoredMessage> = {}): StoredMessage => ({
      id,
      conversationId: 'c1',
      userId: 'u1',
      jobId: id.split(':')[0] ?? id,
      role: 'user',
      content: `text ${id}`,
      createdAt: at,
      ...overrides,
    });

    it('resolves an external identity to one stable internal user', async () => {
      const first = await store.resolveUser({ platform: 'telegram', externalId: '42' }, { role: 'user' });
      const again = await store.resolveUser({ platform: 'telegram', externalId: '42' }, { role: 'admin' });
      expect(again.id).toBe(first.id);
      expect(again.role).toBe('user');
      const other = await store.resolveUser({ platform: 'slack', externalId: '42' }, { role: 'admin' });
      expect(other.id).not.toBe(first.id);
      expect(other.role).toBe('admin');
      expect(await store.getUser(first.id)).toMatchObject({ id: first.id, role: 'user' });
      expect(await store.getUser('nobody')).toBeUndefined();
      expect(await store.listIdentities(first.id)).toEqual([{ platform: 'telegram', externalId: '42' }]);
    });

    it('changes a user\'s role, for every identity of theirs', async () => {
      const user = await store.resolveUser({ platform: 'telegram', externalId: 'r1' }, { role: 'user' });
      await store.setRole(user.id, 'blocked');
      expect((await store.getUser(user.id))?.role).toBe('blocked');
      expect((await store.resolveUser({ platform: 'telegram', externalId: 'r1' }, { role: 'user' })).role).toBe('blocked');
      await store.setRole(user.id, 'admin');
      expect((await store.getUser(user.id))?.role).toBe('admin');
    });

    it('resolves concurrent first sightings to the same user', async () => {
      const users = await Promise.all(
        Array.from({ length: 10 }, () => store.resolveUser({ platform: 'discord', externalId: 'd1' }, { role: 'user' })),
      );
      expect(new Set(users.map((user) => user.id)).size).toBe(1);
    });

    it('keeps conversations per user, newest first', async () => {
      await store.ensureConversation({ id: 'c1', userId: 'u1', platform: 'http' });
      await store.ensureConversation({ id: 'c2', userId: 'u1', platform: 'http' });
      await store.ensureConversation({ id: 'c1', userId: 'u1', platform: 'http' });
      await store.ensureConversation({ id: 'c3', userId: 'u2', platform: 'http' });
      const conversations = await store.listConversations('u1');
      expect(conversations.map((c) => c.id).sort()).toEqual(['c1', 'c2']);
      expect(conversations[0]).toMatchObject({ userId: 'u1', platform: 'http' });
    });

    it('appends messages idempotently and lists the newest, oldest first', async () => {
      expect(await store.appendMessage(message('j1:in', '2026-01-01T00:00:01.000Z'))).toBe(true);
      expect(await store.appendMessage(message('j1:in', '2026-01-01T00:00:09.000Z', { content: 'changed' }))).toBe(false);
      await store.appendMessage(message('j1:out', '2026-01-01T00:00:02.000Z', { role: 'assistant' }));
      await store.appendMessage(message('j2:in', '2026-01-01T00:00:03.000Z'));
      await store.appendMessage(message('x:in', '2026-01-01T00:00:04.000Z', { conversationId: 'c2' }));
      const all = await store.listMessages('c1');
      expect(all.map((m) => m.id)).toEqual(['j1:in', 'j1:out', 'j2:in']);
      expect(all[0]).toEqual(message('j1:in', '2026-01-01T00:00:01.000Z'));
      expect((await store.listMessages('c1', { limit: 2 })).map((m) => m.id)).toEqual(['j1:out', 'j2:in']);
    });

    it('appends audit records idempotently, newest first, with their detail', async () => {
      const record = (id: string, at: string): AuditRecord => ({
        id,
        requestId: `req-${id}`,
        at,
        actorId: null,
        action: 'job.refused',
        outcome: 'refused',
        detail: { reason: 'invalid_token', nested: { n: 1 } },
      });
      expect(await store.appendAudit(record('a1', '2026-01-01T00:00:01.000Z'))).toBe(true);
      expect(await store.appendAudit(record('a1', '2026-01-01T00:00:05.000Z'))).toBe(false);
      await store.appendAudit(record('a2', '2026-01-01T00:00:02.000Z'));
      const records = await store.listAudit();
      expect(records.map((r) => r.id)).toEqual(['a2', 'a1']);
      expect(records[1]).toEqual(record('a1', '2026-01-01T00:00:01.000Z'));
      expect(await store.listAudit({ limit: 1 })).toHaveLength(1);
    });

    it('logs one entry per request, newest first', async () => {
      const entry = (requestId: string, at: string): RequestLogEntry => ({
        requestId,
        jobId: `job-${requestId}`,
        userId: 'u1',
        platform: 'http',
        model: 'offline',
        status: 'ok',
        errorCode: null,
        latencyMs: 12,
        inputTokens: 3,
        outputTokens: 7,
        at,
      });
      expect(await store.logRequest(entry('r1', '2026-01-01T00:00:01.000Z'))).toBe(true);
      expect(await store.logRequest(entry('r1', '2026-01-01T00:00:03.000Z'))).toBe(false);
      await store.logRequest(entry('r2', '2026-01-01T00:00:02.000Z'));
      const entries = await store.listRequests();
      expect(entries.map((e) => e.requestId)).toEqual(['r2', 'r1']);
      expect(entries[1]).toEqual(entry('r1', '2026-01-01T00:00:01.000Z'));
    });

    it('answers ping while open', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}
