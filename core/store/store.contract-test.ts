import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findChainBreak, genesisHash } from '../audit/audit-chain.ts';
import type { ApiKey, NewAuditRecord, OneTimeCode, RequestLogEntry, Store, StoredMessage } from './store.ts';

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

    const code = (purpose: OneTimeCode['purpose'], value: string, userId: string, ttlMs = 60_000): OneTimeCode => ({
      purpose,
      code: value,
      userId,
      createdAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + ttlMs).toISOString(),
    });

    const apiKey = (id: string, userId: string, hash = `h-${id}`): ApiKey => ({
      id,
      userId,
      name: `key ${id}`,
      prefix: 'sk-gw-abcd',
      hash,
      createdAt: '2026-01-01T00:00:00.000Z',
      createdBy: 'u-admin',
      expiresAt: '2027-01-01T00:00:00.000Z',
      revokedAt: null,
      limits: { requestsPerMinute: 10, tokensPerMinute: 1000 },
      budgetTokens: 5000,
      spentTokens: 0,
      budgetUsd: 2.5,
      spentUsd: 0,
      models: ['offline', 'instant'],
    });

    const request = (requestId: string, at: string, overrides: Partial<RequestLogEntry> = {}): RequestLogEntry => ({
      requestId,
      jobId: `job-${requestId}`,
      userId: 'u1',
      apiKeyId: null,
      platform: 'http',
      externalId: 'alice',
      provider: 'openai',
      model: 'openai/gpt-4o-mini',
      tier: 'instant',
      deployment: null,
      branch: null,
      status: 'ok',
      errorCode: null,
      latencyMs: 12,
      inputTokens: 3,
      outputTokens: 7,
      cachedInputTokens: 1,
      reasoningTokens: 2,
      costUsd: 0.25,
      at,
      ...overrides,
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

    it('finds a conversation by id, and its first user message', async () => {
      await store.ensureConversation({ id: 'c-first', userId: 'u9', platform: 'http' });
      expect(await store.getConversation('c-first')).toMatchObject({ id: 'c-first', userId: 'u9', platform: 'http' });
      expect(await store.getConversation('c-none')).toBeUndefined();
      expect(await store.firstUserMessage('c-first')).toBeUndefined();
      const said = (id: string, role: 'user' | 'assistant', at: string) =>
        store.appendMessage({ id, conversationId: 'c-first', userId: 'u9', jobId: id, role, content: `${role} ${id}`, createdAt: at });
      await said('m2', 'user', '2026-01-01T00:00:02.000Z');
      await said('m1', 'assistant', '2026-01-01T00:00:01.000Z');
      await said('m3', 'user', '2026-01-01T00:00:03.000Z');
      expect((await store.firstUserMessage('c-first'))?.content).toBe('user m2');
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

    const auditRecord = (id: string, at: string, overrides: Partial<NewAuditRecord> = {}): NewAuditRecord => ({
      id,
      requestId: `req-${id}`,
      at,
      actorId: null,
      action: 'job.refused',
      outcome: 'refused',
      detail: { reason: 'invalid_token', nested: { n: 1, list: [1, 'two'] } },
      ...overrides,
    });

    it('appends audit records idempotently, newest first, with their detail', async () => {
      expect(await store.appendAudit(auditRecord('a1', '2026-01-01T00:00:01.000Z'))).toBe(true);
      expect(await store.appendAudit(auditRecord('a1', '2026-01-01T00:00:05.000Z'))).toBe(false);
      await store.appendAudit(auditRecord('a2', '2026-01-01T00:00:02.000Z'));
      const records = await store.listAudit();
      expect(records.map((r) => r.id)).toEqual(['a2', 'a1']);
      expect(records[1]).toMatchObject(auditRecord('a1', '2026-01-01T00:00:01.000Z'));
      expect(await store.listAudit({ limit: 1 })).toHaveLength(1);
    });

    it('chains audit records by hash, in order, without gaps, even when appended at once', async () => {
      await Promise.all(Array.from({ length: 20 }, (_, i) => store.appendAudit(auditRecord(`c${i}`, `2026-01-01T00:00:${String(i).padStart(2, '0')}.000Z`))));
      const chain = await store.readAuditChain(0, 100);
      expect(chain.map((r) => r.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(chain[0]?.prevHash).toBe(genesisHash);
      expect(chain[1]?.prevHash).toBe(chain[0]?.hash);
      expect(findChainBreak(undefined, chain)).toBeUndefined();
      // Paging continues the chain where the previous page ended.
      const first = await store.readAuditChain(0, 7);
      const rest = await store.readAuditChain(7, 100);
      expect(first).toHaveLength(7);
      expect(rest[0]?.seq).toBe(8);
      expect(findChainBreak(first.at(-1), rest)).toBeUndefined();
      // Records read back whole are what was hashed: an edit is detectable.
      const edited = chain.map((r) => (r.seq === 5 ? { ...r, detail: { reason: 'edited' } } : r));
      expect(findChainBreak(undefined, edited)).toMatchObject({ seq: 5 });
    });

    it('finds audit records by action and actor, and pages back by number', async () => {
      await store.appendAudit(auditRecord('f1', '2026-01-01T00:00:01.000Z', { action: 'role.change', actorId: 'admin1', outcome: 'ok' }));
      await store.appendAudit(auditRecord('f2', '2026-01-01T00:00:02.000Z'));
      await store.appendAudit(auditRecord('f3', '2026-01-01T00:00:03.000Z', { action: 'role.change', actorId: 'admin2', outcome: 'ok' }));
      expect((await store.listAudit({ action: 'role.change' })).map((r) => r.id)).toEqual(['f3', 'f1']);
      expect((await store.listAudit({ actorId: 'admin1' })).map((r) => r.id)).toEqual(['f1']);
      const [newest] = await store.listAudit({ limit: 1 });
      expect(newest?.id).toBe('f3');
      expect((await store.listAudit({ beforeSeq: newest?.seq })).map((r) => r.id)).toEqual(['f2', 'f1']);
    });

    it('logs one entry per request, newest first', async () => {
      expect(await store.logRequest(request('r1', '2026-01-01T00:00:01.000Z'))).toBe(true);
      expect(await store.logRequest(request('r1', '2026-01-01T00:00:03.000Z'))).toBe(false);
      await store.logRequest(request('r2', '2026-01-01T00:00:02.000Z', { provider: null, model: null, tier: null, externalId: null }));
      const entries = await store.listRequests();
      expect(entries.map((e) => e.requestId)).toEqual(['r2', 'r1']);
      expect(entries[1]).toEqual(request('r1', '2026-01-01T00:00:01.000Z'));
      expect(entries[0]).toMatchObject({ provider: null, model: null, tier: null, externalId: null });
      expect(await store.usageSince('u1', '2026-01-01T00:00:02.000Z')).toEqual({ requests: 1, inputTokens: 3, outputTokens: 7, costUsd: 0.25 });
      expect(await store.usageSince('u1', '2025-01-01T00:00:00.000Z')).toEqual({ requests: 2, inputTokens: 6, outputTokens: 14, costUsd: 0.5 });
      expect(await store.usageSince('nobody', '2025-01-01T00:00:00.000Z')).toEqual({ requests: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 });
    });

    it('reports usage grouped by user, provider, model, tier, platform and day', async () => {
      await store.logRequest(request('g1', '2026-03-01T10:00:00.000Z', { latencyMs: 10 }));
      await store.logRequest(request('g2', '2026-03-01T23:59:59.000Z', { userId: 'u2', latencyMs: 30, costUsd: 0.5 }));
      await store.logRequest(request('g3', '2026-03-02T00:00:00.000Z', { provider: 'anthropic', model: 'anthropic/claude-x', tier: 'thinking', latencyMs: 20 }));
      await store.logRequest(request('g4', '2026-03-02T01:00:00.000Z', {
        status: 'error', errorCode: 'upstream_error', inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, reasoningTokens: 0, costUsd: 0, latencyMs: 40,
      }));
      await store.logRequest(request('g5', '2026-02-28T00:00:00.000Z'));

      const since = '2026-03-01T00:00:00.000Z';
      expect(await store.usageReport({ since })).toEqual([{
        requests: 4, errors: 1, inputTokens: 9, outputTokens: 21, cachedInputTokens: 3, reasoningTokens: 6, costUsd: 1, latencyMs: 25,
      }]);
      const byDay = await store.usageReport({ since, groupBy: ['day'] });
      expect(byDay.map((row) => [row.day, row.requests])).toEqual([['2026-03-01', 2], ['2026-03-02', 2]]);
      const byUser = await store.usageReport({ since, groupBy: ['user'] });
      expect(byUser).toHaveLength(2);
      expect(byUser.find((row) => row.user === 'u2')).toMatchObject({ requests: 1, costUsd: 0.5, latencyMs: 30 });
      const byModel = await store.usageReport({ since, until: '2026-03-02T00:30:00.000Z', userId: 'u1', groupBy: ['provider', 'model', 'tier'] });
      expect(byModel).toEqual([
        expect.objectContaining({ provider: 'anthropic', model: 'anthropic/claude-x', tier: 'thinking', requests: 1 }),
        expect.objectContaining({ provider: 'openai', model: 'openai/gpt-4o-mini', tier: 'instant', requests: 1 }),
      ]);
      expect(byModel[0]).not.toHaveProperty('user');
      expect(await store.usageReport({ since: '2027-01-01T00:00:00.000Z' })).toEqual([]);
      expect(await store.usageReport({ since, groupBy: ['platform'] })).toEqual([expect.objectContaining({ platform: 'http', requests: 4 })]);
    });

    it('reports usage per routing-policy arm (deployment) and branch, requests no policy routed under null', async () => {
      const at = (minute: number) => `2026-04-01T10:${String(minute).padStart(2, '0')}:00.000Z`;
      await store.logRequest(request('d1', at(1), { deployment: 'a', branch: 'weighted', inputTokens: 10, outputTokens: 20, costUsd: 0.5, latencyMs: 100 }));
      await store.logRequest(request('d2', at(2), { deployment: 'a', branch: 'weighted', inputTokens: 30, outputTokens: 40, costUsd: 0.25, latencyMs: 300 }));
      await store.logRequest(request('d3', at(3), {
        deployment: 'a', branch: 'failover', status: 'error', errorCode: 'upstream_error', inputTokens: 0, outputTokens: 0, cachedInputTokens: 0,
        reasoningTokens: 0, costUsd: 0, latencyMs: 50,
      }));
      await store.logRequest(request('d4', at(4), { deployment: 'b', branch: 'weighted', inputTokens: 5, outputTokens: 6, costUsd: 0.125, latencyMs: 200 }));
      // Routed by no policy: the fields left out entirely, as a plain failover chain logs them.
      const plain = request('d5', at(5), { inputTokens: 1, outputTokens: 2, costUsd: 0.0625, latencyMs: 10 });
      delete plain.deployment;
      delete plain.branch;
      await store.logRequest(plain);

      expect((await store.listRequests({ limit: 5 })).map((e) => [e.requestId, e.deployment, e.branch])).toEqual([
        ['d5', null, null], ['d4', 'b', 'weighted'], ['d3', 'a', 'failover'], ['d2', 'a', 'weighted'], ['d1', 'a', 'weighted'],
      ]);
      const since = '2026-04-01T00:00:00.000Z';
      const figures = (requests: number, errors: number, inputTokens: number, outputTokens: number, costUsd: number, latencyMs: number) => ({
        requests, errors, inputTokens, outputTokens, costUsd, latencyMs,
      });
      const byArm = await store.usageReport({ since, groupBy: ['deployment'] });
      expect(byArm).toEqual([
        expect.objectContaining({ deployment: null, ...figures(1, 0, 1, 2, 0.0625, 10) }),
        expect.objectContaining({ deployment: 'a', ...figures(3, 1, 40, 60, 0.75, 150) }),
        expect.objectContaining({ deployment: 'b', ...figures(1, 0, 5, 6, 0.125, 200) }),
      ]);
      expect(byArm[1]).toMatchObject({ cachedInputTokens: 2, reasoningTokens: 4 });
      expect(byArm[0]).not.toHaveProperty('branch');
      expect(byArm[0]).not.toHaveProperty('provider');

      expect(await store.usageReport({ since, groupBy: ['deployment', 'branch'] })).toEqual([
        expect.objectContaining({ deployment: null, branch: null, ...figures(1, 0, 1, 2, 0.0625, 10) }),
        expect.objectContaining({ deployment: 'a', branch: 'failover', ...figures(1, 1, 0, 0, 0, 50) }),
        expect.objectContaining({ deployment: 'a', branch: 'weighted', ...figures(2, 0, 40, 60, 0.75, 200) }),
        expect.objectContaining({ deployment: 'b', branch: 'weighted', ...figures(1, 0, 5, 6, 0.125, 200) }),
      ]);
      const byBranch = await store.usageReport({ since, groupBy: ['branch'] });
      expect(byBranch.map((row) => [row.branch, row.requests, row.errors])).toEqual([[null, 1, 0], ['failover', 1, 1], ['weighted', 3, 0]]);
    });

    it('keeps conversation settings, merging changes and removing what is set to undefined', async () => {
      const conversation = { id: 'telegram-9', userId: 'u1', platform: 'telegram' as const };
      expect(await store.getConversationSettings('telegram-9')).toEqual({});
      await store.updateConversationSettings(conversation, { model: 'thinking', thinkNext: true });
      await store.updateConversationSettings(conversation, { thinkNext: undefined, historyFrom: '2026-01-01T00:00:00.000Z' });
      expect(await store.getConversationSettings('telegram-9')).toEqual({ model: 'thinking', historyFrom: '2026-01-01T00:00:00.000Z' });
      await store.ensureConversation(conversation);
      expect(await store.getConversationSettings('telegram-9')).toEqual({ model: 'thinking', historyFrom: '2026-01-01T00:00:00.000Z' });
    });

    it('keeps gateway-wide defaults, merging changes and removing what is set to undefined', async () => {
      expect(await store.getGatewaySettings()).toEqual({});
      await store.updateGatewaySettings({ model: 'openai/gpt-4o', tier: 'thinking' });
      await store.updateGatewaySettings({ model: undefined });
      expect(await store.getGatewaySettings()).toEqual({ tier: 'thinking' });
    });

    it('finds a user by the @name their identity was seen with, in any case, on its platform only', async () => {
      const ann = await store.resolveUser({ platform: 'telegram', externalId: '71' }, { role: 'user', handle: 'Ann_S' });
      await store.resolveUser({ platform: 'discord', externalId: '72' }, { role: 'user', handle: 'bob' });
      expect((await store.findUserByHandle('telegram', 'ann_s'))?.id).toBe(ann.id);
      expect((await store.findUserByHandle('telegram', 'ANN_S'))?.id).toBe(ann.id);
      expect(await store.findUserByHandle('discord', 'ann_s')).toBeUndefined();
      expect(await store.findUserByHandle('telegram', 'bob')).toBeUndefined();
      expect(await store.listIdentities(ann.id)).toEqual([{ platform: 'telegram', externalId: '71', handle: 'ann_s' }]);
    });

    it('keeps per-user limit overrides, and lists users most recently seen first', async () => {
      const a = await store.resolveUser({ platform: 'telegram', externalId: 'l1' }, { role: 'user' });
      expect(a.limits).toEqual({});
      await store.setLimits(a.id, { requestsPerMinute: 5, tokensPerMinute: 0, budgetUsd: 12.5 });
      expect((await store.getUser(a.id))?.limits).toEqual({ requestsPerMinute: 5, tokensPerMinute: 0, budgetUsd: 12.5 });
      await store.setLimits(a.id, { tokensPerMinute: 900 });
      expect((await store.findUser({ platform: 'telegram', externalId: 'l1' }))?.limits).toEqual({ tokensPerMinute: 900 });
      expect(await store.findUser({ platform: 'telegram', externalId: 'nobody' })).toBeUndefined();
      const b = await store.resolveUser({ platform: 'slack', externalId: 'l2' }, { role: 'pending' });
      expect(b.role).toBe('pending');
      expect((await store.listUsers()).map((u) => u.id).sort()).toEqual([a.id, b.id].sort());
      expect(await store.listUsers({ limit: 1 })).toHaveLength(1);
    });

    it('merges one person\'s users into one, history and keys included, and detaches an identity again', async () => {
      const a = await store.resolveUser({ platform: 'telegram', externalId: 'm1' }, { role: 'admin' });
      const b = await store.resolveUser({ platform: 'slack', externalId: 'm2' }, { role: 'user' });
      await store.ensureConversation({ id: 'cb', userId: b.id, platform: 'slack' });
      await store.appendMessage(message('jb:in', '2026-01-01T00:00:01.000Z', { conversationId: 'cb', userId: b.id }));
      await store.createApiKey(apiKey('key_m', b.id));
      await store.putCode(code('link', 'BBBB', b.id));
      await store.mergeUsers(b.id, a.id);
      expect(await store.getUser(b.id)).toBeUndefined();
      expect((await store.resolveUser({ platform: 'slack', externalId: 'm2' }, { role: 'user' })).id).toBe(a.id);
      expect(await store.listIdentities(a.id)).toEqual([{ platform: 'slack', externalId: 'm2' }, { platform: 'telegram', externalId: 'm1' }]);
      expect((await store.listConversations(a.id)).map((c) => c.id)).toEqual(['cb']);
      expect((await store.listMessages('cb'))[0]?.userId).toBe(a.id);
      expect((await store.getApiKey('key_m'))?.userId).toBe(a.id);
      expect(await store.takeCode('link', 'BBBB')).toBeUndefined();
      expect((await store.getUser(a.id))?.role).toBe('admin');

      const detached = await store.detachIdentity({ platform: 'slack', externalId: 'm2' }, 'pending');
      expect(detached.id).not.toBe(a.id);
      expect(detached.role).toBe('pending');
      expect(await store.listIdentities(a.id)).toEqual([{ platform: 'telegram', externalId: 'm1' }]);
      expect((await store.findUser({ platform: 'slack', externalId: 'm2' }))?.id).toBe(detached.id);
      expect((await store.listConversations(a.id)).map((c) => c.id)).toEqual(['cb']);
    });

    it('keeps one code per user and purpose, taken once, never after it expires', async () => {
      await store.putCode(code('link', 'AAAA', 'u1'));
      await store.putCode(code('link', 'CCCC', 'u1'));
      await store.putCode(code('pairing', 'AAAA', 'u2'));
      await store.putCode(code('link', 'OLD1', 'u3', -1000));
      expect((await store.findCode('link', 'u1'))?.code).toBe('CCCC');
      expect(await store.findCode('link', 'u3')).toBeUndefined();
      expect((await store.listCodes('link')).map((c) => c.code)).toEqual(['CCCC']);
      expect(await store.takeCode('link', 'AAAA')).toBeUndefined();
      expect(await store.takeCode('link', 'CCCC')).toMatchObject({ purpose: 'link', code: 'CCCC', userId: 'u1' });
      expect(await store.takeCode('link', 'CCCC')).toBeUndefined();
      expect(await store.takeCode('link', 'OLD1')).toBeUndefined();
      const taken = await Promise.all([store.takeCode('pairing', 'AAAA'), store.takeCode('pairing', 'AAAA')]);
      expect(taken.filter(Boolean)).toHaveLength(1);
    });

    it('keeps what a code stands for', async () => {
      await store.putCode({ ...code('tool-approval', 'PAY1', 'u1'), payload: '{"tool":"fetch_url"}' });
      expect((await store.findCode('tool-approval', 'u1'))?.payload).toBe('{"tool":"fetch_url"}');
      expect((await store.takeCode('tool-approval', 'PAY1'))?.payload).toBe('{"tool":"fetch_url"}');
    });

    it('stores API keys by hash, revokes them once, and counts their spend once per request', async () => {
      await store.createApiKey(apiKey('key_1', 'u1'));
      await store.createApiKey({ ...apiKey('key_2', 'u2', 'h2'), createdAt: '2026-01-02T00:00:00.000Z', budgetTokens: null, budgetUsd: null, models: null, limits: {} });
      expect(await store.getApiKey('key_1')).toEqual(apiKey('key_1', 'u1'));
      expect((await store.findApiKeyByHash('h2'))?.id).toBe('key_2');
      expect(await store.findApiKeyByHash('unknown')).toBeUndefined();
      expect((await store.listApiKeys()).map((k) => k.id)).toEqual(['key_2', 'key_1']);
      expect((await store.listApiKeys({ userId: 'u1' })).map((k) => k.id)).toEqual(['key_1']);
      expect(await store.revokeApiKey('key_1', '2026-01-03T00:00:00.000Z')).toBe(true);
      expect(await store.revokeApiKey('key_1', '2026-01-04T00:00:00.000Z')).toBe(false);
      expect(await store.revokeApiKey('nothing', '2026-01-04T00:00:00.000Z')).toBe(false);
      expect((await store.getApiKey('key_1'))?.revokedAt).toBe('2026-01-03T00:00:00.000Z');

      const entry = request('rk1', '2026-01-01T00:00:00.000Z', { userId: 'u2', apiKeyId: 'key_2', inputTokens: 30, outputTokens: 12, costUsd: 0.125 });
      await store.logRequest(entry);
      await store.logRequest(entry);
      await store.logRequest({ ...entry, requestId: 'rk2', inputTokens: 1, outputTokens: 2, costUsd: 0.5 });
      expect(await store.getApiKey('key_2')).toMatchObject({ spentTokens: 45, spentUsd: 0.625 });
      expect((await store.listRequests())[1]).toEqual(entry);
    });

    it('answers ping while open', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}
