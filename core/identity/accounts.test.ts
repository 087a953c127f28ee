import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../store/embedded/sqlite-store.ts';
import type { User } from '../store/store.ts';
import { Accounts } from './accounts.ts';
import type { Actor } from './actor.ts';
import { hashApiKey } from './api-keys.ts';

let store: SqliteStore;
let accounts: Accounts;
let admin: Actor;
let n = 0;
const actor = (user: User): Actor => ({ user, requestId: `req_${(n += 1)}` });

beforeEach(async () => {
  store = new SqliteStore(':memory:');
  accounts = new Accounts(store, { adminUsers: [{ platform: 'slack', externalId: 'UADMIN' }] });
  admin = actor(await accounts.resolve({ platform: 'slack', externalId: 'UADMIN' }));
});
afterEach(() => store.close());

describe('Accounts.resolve', () => {
  it('makes ADMIN_USERS admins even when blocked, and token-vouched admins unless blocked', async () => {
    expect(admin.user.role).toBe('admin');
    await store.setRole(admin.user.id, 'blocked');
    expect((await accounts.resolve({ platform: 'slack', externalId: 'UADMIN' })).role).toBe('admin');

    const vouched = await accounts.resolve({ platform: 'http', externalId: 'ops', role: 'user' });
    expect(vouched.role).toBe('user');
    expect((await accounts.resolve({ platform: 'http', externalId: 'ops', role: 'admin' })).role).toBe('admin');
    await store.setRole(vouched.id, 'blocked');
    expect((await accounts.resolve({ platform: 'http', externalId: 'ops', role: 'admin' })).role).toBe('blocked');
  });

  it('starts new chat users pending in pairing mode and as users in open mode; HTTP callers are users', async () => {
    expect((await accounts.resolve({ platform: 'discord', externalId: 'd1' })).role).toBe('pending');
    expect((await accounts.resolve({ platform: 'http', externalId: 'h1' })).role).toBe('user');
    const open = new Accounts(store, { accessMode: 'open' });
    expect((await open.resolve({ platform: 'telegram', externalId: 't1' })).role).toBe('user');
  });
});

describe('Accounts.updateUser', () => {
  it('sets roles and limit overrides (null clears one), audits each, and refuses non-admins and self-demotion', async () => {
    const user = await accounts.resolve({ platform: 'http', externalId: 'u1' });
    const updated = await accounts.updateUser(admin, 'http:u1', { role: 'blocked', limits: { requestsPerMinute: 3, tokensPerMinute: 0 } });
    expect(updated).toMatchObject({ id: user.id, role: 'blocked', limits: { requestsPerMinute: 3, tokensPerMinute: 0 } });
    expect((await accounts.updateUser(admin, user.id, { limits: { requestsPerMinute: null } })).limits).toEqual({ tokensPerMinute: 0 });
    expect((await store.getUser(user.id))?.limits).toEqual({ tokensPerMinute: 0 });
    const actions = (await store.listAudit()).map((r) => `${r.action}:${r.outcome}:${r.actorId === admin.user.id}`);
    expect(actions).toEqual(expect.arrayContaining(['user.role:ok:true', 'user.limits:ok:true']));

    await expect(accounts.updateUser(actor(user), user.id, { role: 'admin' })).rejects.toMatchObject({ code: 'forbidden' });
    expect((await store.listAudit()).some((r) => r.action === 'user.update' && r.outcome === 'refused' && r.actorId === user.id)).toBe(true);
    await expect(accounts.updateUser(admin, admin.user.id, { role: 'user' })).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(accounts.updateUser(admin, 'nobody', {})).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(accounts.updateUser(admin, 'usr_nobody', {})).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('API keys', () => {
  it('acts as the named user, or a user of its own; a failed mint leaves nothing behind', async () => {
    const owner = await accounts.resolve({ platform: 'telegram', externalId: 'owner' });
    const { secret, key } = await accounts.keys.create(admin, { user: 'telegram:owner', name: 'bot' });
    expect(key.userId).toBe(owner.id);
    expect(await store.listIdentities(owner.id)).toContainEqual({ platform: 'http', externalId: `key:${key.id}` });
    expect((await store.getApiKey(key.id))?.hash).toBe(hashApiKey(secret));
    expect(JSON.stringify(key)).not.toContain(secret);

    const alone = await accounts.keys.create(admin, {});
    expect(alone.key.userId).not.toBe(owner.id);
    const users = (await store.listUsers()).length;
    await expect(accounts.keys.create(admin, { user: 'usr_missing' })).rejects.toMatchObject({ code: 'not_found' });
    expect((await store.listUsers()).length).toBe(users);
  });

  it('verifies a key, and refuses unknown, revoked and expired ones', async () => {
    const { secret, key } = await accounts.keys.create(admin, { models: ['offline'] });
    expect(await accounts.keys.verify(secret)).toMatchObject({ key: { id: key.id, models: ['offline'] }, user: { id: key.userId } });
    await expect(accounts.keys.verify(`${secret}x`)).rejects.toMatchObject({ code: 'invalid_api_key' });
    await accounts.keys.revoke(admin, key.id);
    // Revoked through this process: its cache forgets the key at once.
    await expect(accounts.keys.verify(secret)).rejects.toMatchObject({ code: 'api_key_revoked', message: expect.stringMatching(/revoked/) });

    const expired = await accounts.keys.create(admin, {});
    const stored = (await store.getApiKey(expired.key.id))!;
    await store.createApiKey({ ...stored, id: 'key_old', hash: hashApiKey('sk-gw-old'), expiresAt: new Date(Date.now() - 1000).toISOString() });
    await expect(accounts.keys.verify('sk-gw-old')).rejects.toMatchObject({ code: 'api_key_revoked', message: expect.stringMatching(/expired/) });
  });

  it('lists every key to admins and only their own to others; only admins mint and revoke', async () => {
    const user = await accounts.resolve({ platform: 'http', externalId: 'lister' });
    const mine = await accounts.keys.create(admin, { user: user.id });
    await accounts.keys.create(admin, {});
    expect((await accounts.keys.list(admin)).length).toBe(2);
    expect((await accounts.keys.list(actor(user))).map((k) => k.id)).toEqual([mine.key.id]);
    expect((await accounts.keys.list(actor(user), { userId: admin.user.id })).map((k) => k.id)).toEqual([mine.key.id]);
    await expect(accounts.keys.create(actor(user), {})).rejects.toMatchObject({ code: 'forbidden' });
    await expect(accounts.keys.revoke(actor(user), mine.key.id)).rejects.toMatchObject({ code: 'forbidden' });
    await expect(accounts.keys.revoke(admin, 'key_none')).rejects.toMatchObject({ code: 'not_found' });
  });
});
