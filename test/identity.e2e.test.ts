import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pairing } from '../core/identity/pairing.ts';
import { SqliteStore } from '../core/store/embedded/sqlite-store.ts';
import { startPlatformProcess, type PlatformProcess } from './helpers/platform.ts';

interface ErrorBody {
  error: { code: string; message: string; type: string };
}

describe('accounts over HTTP: API keys, per-user limits, linking, pairing, refused credentials', () => {
  let platform: PlatformProcess;
  let admin: string;
  /** Every credential the tests sent, valid or not: none may show up in logs or the store. */
  const credentials: string[] = [];
  beforeAll(async () => {
    platform = await startPlatformProcess({ RATE_LIMIT_USER_RPM: '100' });
    admin = platform.token('root', '--role', 'admin');
  }, 60_000);
  afterAll(async () => {
    await platform?.stop();
  });

  const call = async (method: string, path: string, credential: string | undefined, body?: unknown) => {
    if (credential) credentials.push(credential);
    const response = await fetch(`${platform.url}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(credential ? { authorization: `Bearer ${credential}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = (await response.json()) as Record<string, any>;
    if (typeof answer.key === 'string') credentials.push(answer.key);
    return { status: response.status, headers: response.headers, body: answer };
  };
  const ask = (credential: string, model = 'offline') =>
    call('POST', '/v1/chat/completions', credential, { model, messages: [{ role: 'user', content: 'hi' }] });
  /** The store's audit trail, read as another process would. */
  const audit = () => {
    const db = new DatabaseSync(join(platform.dataDir, 'gateway.db'), { readOnly: true });
    try {
      return db.prepare('SELECT action, outcome, actor_id, detail FROM audit ORDER BY at').all() as { action: string; outcome: string; actor_id: string | null; detail: string }[];
    } finally {
      db.close();
    }
  };

  it('mints a key shown once and stored only as a hash; the key carries its own limit, models and budget; revoked, it stops at once', async () => {
    const refused = await call('POST', '/v1/keys', platform.token('mallory'), { name: 'mine' });
    expect(refused.status).toBe(403);
    expect((refused.body as ErrorBody).error.code).toBe('forbidden');
    expect(audit().some((r) => r.action === 'api_key.create' && r.outcome === 'refused')).toBe(true);

    const bad = await call('POST', '/v1/keys', admin, { requestsPerMinute: -1, colour: 'red' });
    expect(bad.status).toBe(400);
    expect((bad.body as ErrorBody).error.message).toMatch(/^Invalid request body: /);

    const created = await call('POST', '/v1/keys', admin, { name: 'ci', requestsPerMinute: 2, models: ['offline'] });
    expect(created.status).toBe(201);
    const secret = created.body.key as string;
    expect(secret).toMatch(/^sk-gw-[\w-]{43}$/);
    expect(created.body).toMatchObject({ name: 'ci', prefix: secret.slice(0, 12), limits: { requestsPerMinute: 2 }, models: ['offline'], revokedAt: null });
    const listed = await call('GET', '/v1/keys', admin);
    expect(listed.body.data.map((k: { id: string }) => k.id)).toContain(created.body.id);
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    // Give the store's group commit a turn, then look for the secret in every byte it wrote.
    await new Promise((done) => setTimeout(done, 100));
    for (const file of ['gateway.db', 'gateway.db-wal']) {
      expect(readFileSync(join(platform.dataDir, file)).includes(secret)).toBe(false);
    }

    const first = await ask(secret);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit-requests')).toBe('2');
    const models = await call('GET', '/v1/models', secret);
    expect(models.body.data.map((m: { id: string }) => m.id)).toEqual(['offline']);
    const other = await ask(secret, 'instant');
    expect(other.status).toBe(403);
    expect((other.body as ErrorBody).error).toMatchObject({ code: 'model_not_allowed', message: expect.stringMatching(/may not call "instant"; it may call: offline/) });
    // A refusal for the model took nothing from the key's bucket: one request is left, then none.
    expect((await ask(secret)).status).toBe(200);
    const limited = await ask(secret);
    expect(limited.status).toBe(429);
    expect((limited.body as ErrorBody).error.message).toMatch(/this API key's limit of 2 requests per minute/);

    const revoked = await call('DELETE', `/v1/keys/${created.body.id}`, admin);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).toEqual(expect.any(String));
    const after = await ask(secret);
    expect(after.status).toBe(401);
    expect((after.body as ErrorBody).error.code).toBe('api_key_revoked');
  });

  it('refuses a key whose token budget is spent, with 402', async () => {
    const created = await call('POST', '/v1/keys', admin, { budgetTokens: 1 });
    expect((await ask(created.body.key)).status).toBe(200);
    await expect.poll(async () => (await call('GET', '/v1/keys', admin)).body.data.find((k: { id: string }) => k.id === created.body.id)?.spentTokens).toBeGreaterThan(1);
    const spent = await ask(created.body.key);
    expect(spent.status).toBe(402);
    expect((spent.body as ErrorBody).error).toMatchObject({ code: 'budget_exceeded', type: 'insufficient_quota' });
  });

  it('refuses forged and malformed credentials with 401 and an audit record that holds no credential', async () => {
    const forged = `sk-gw-${'A'.repeat(43)}`;
    const results = await Promise.all([ask(forged), ask('not.a.jwt'), call('GET', '/v1/models', undefined)]);
    expect(results.map((r) => [r.status, (r.body as ErrorBody).error.code])).toEqual([
      [401, 'invalid_api_key'],
      [401, 'invalid_token'],
      [401, 'missing_token'],
    ]);
    // Earlier tests' refusals are in the trail too: wait for these three kinds, not for a count.
    const refusals = () => audit().filter((r) => r.action === 'http.authenticate');
    await expect.poll(() => refusals().map((r) => JSON.parse(r.detail).credential)).toEqual(expect.arrayContaining(['api_key', 'none', 'token']));
    const records = refusals();
    expect(records.every((r) => r.outcome === 'refused' && r.actor_id === null)).toBe(true);
    expect(JSON.stringify(records)).not.toContain(forged);
    expect(JSON.stringify(records)).not.toContain('not.a.jwt');
  });

  it('applies an admin\'s per-user limit override to that user only', async () => {
    const token = platform.token('overridden');
    const me = await call('GET', '/v1/users/me', token);
    expect(me.body).toMatchObject({ role: 'user', identities: [{ platform: 'http', externalId: 'overridden' }] });
    expect((await call('PATCH', `/v1/users/${me.body.id}`, token, { limits: { requestsPerMinute: 1 } })).status).toBe(403);
    const patched = await call('PATCH', '/v1/users/http:overridden', admin, { limits: { requestsPerMinute: 1 } });
    expect(patched.body.limits).toEqual({ requestsPerMinute: 1 });
    expect((await ask(token)).headers.get('x-ratelimit-limit-requests')).toBe('1');
    expect((await ask(token)).status).toBe(429);
    // Cleared, the role's default (100) applies again.
    await call('PATCH', `/v1/users/${me.body.id}`, admin, { limits: { requestsPerMinute: null } });
    expect((await ask(token)).headers.get('x-ratelimit-limit-requests')).toBe('100');
  });

  it('links two identities by a code over HTTP, and lets an admin approve a pending chat user', async () => {
    const alice = platform.token('alice-web');
    const other = platform.token('alice-cli');
    const issued = await call('POST', '/v1/link', alice, {});
    expect(issued.body.code).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    const joined = await call('POST', '/v1/link', other, { code: issued.body.code.toLowerCase() });
    expect(joined.status).toBe(200);
    expect(joined.body.identities).toEqual([
      { platform: 'http', externalId: 'alice-cli' },
      { platform: 'http', externalId: 'alice-web' },
    ]);
    expect((await call('POST', '/v1/link', other, { code: issued.body.code })).status).toBe(400);

    // A Telegram user the worker made pending (the store is shared, as by a worker process).
    const store = new SqliteStore(join(platform.dataDir, 'gateway.db'));
    const pending = await store.resolveUser({ platform: 'telegram', externalId: '4242' }, { role: 'pending' });
    const code = await new Pairing(store).codeFor(pending);
    await store.close();
    const list = await call('GET', '/v1/pairing', admin);
    expect(list.body.data).toContainEqual(expect.objectContaining({ identities: [{ platform: 'telegram', externalId: '4242' }] }));
    expect((await call('GET', '/v1/pairing', alice)).status).toBe(403);
    const approved = await call('POST', `/v1/pairing/${code.code}/approve`, admin);
    expect(approved.body).toMatchObject({ id: pending.id, role: 'user' });
    expect((await call('POST', `/v1/pairing/${code.code}/approve`, admin)).body.error.code).toBe('invalid_code');
  });

  it('never wrote a credential it was sent or minted to its logs or its store', async () => {
    await new Promise((done) => setTimeout(done, 100));
    const written = [platform.output(), ...['gateway.db', 'gateway.db-wal'].map((file) => readFileSync(join(platform.dataDir, file)).toString('latin1'))];
    expect(credentials.length).toBeGreaterThan(10);
    for (const credential of new Set(credentials)) {
      for (const text of written) expect(text.includes(credential)).toBe(false);
    }
  });
});
