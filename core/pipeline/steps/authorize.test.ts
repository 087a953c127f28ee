import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { httpJob, testKey } from '../../../test/helpers/jobs.ts';
import { Accounts } from '../../identity/accounts.ts';
import { mintJobToken } from '../../identity/tokens.ts';
import { ModelRegistry } from '../../models/registry.ts';
import { SqliteStore } from '../../store/embedded/sqlite-store.ts';
import type { Checkpoints } from '../context.ts';
import { createJobRunner, type JobOutcome, type JobRunner } from '../run-job.ts';

const noCheckpoints: Checkpoints = { once: (_name, work) => work() };
let store: SqliteStore;
let accounts: Accounts;
let runJob: JobRunner;
beforeEach(() => {
  store = new SqliteStore(':memory:');
  accounts = new Accounts(store);
  runJob = createJobRunner({ store, models: new ModelRegistry(), jwtKey: testKey, accounts, log: pino({ level: 'silent' }) });
});
afterEach(() => store.close());

const admin = async () => ({ user: await accounts.resolve({ platform: 'http', externalId: 'root', role: 'admin' }), requestId: 'req_admin' });

/** A job as the HTTP adapter makes it for a request with this API key. */
async function keyJob(keyId: string, model?: string) {
  const job = await httpJob({ model });
  return { ...job, identityToken: mintJobToken(testKey, job.id, { platform: 'http', externalId: `key:${keyId}` }) };
}
const errorOf = (outcome: JobOutcome) => (outcome.kind === 'reply' && outcome.reply.status === 'error' ? outcome.reply.error.code : outcome.kind);
const run = async (job: Awaited<ReturnType<typeof keyJob>>) => runJob(job, { attempt: 1, final: true, checkpoints: noCheckpoints });

describe('authorize, for jobs made with an API key', () => {
  it('refuses a job whose key was revoked after it was queued, and answers it so', async () => {
    const { key } = await accounts.keys.create(await admin(), {});
    const queued = await keyJob(key.id);
    await accounts.keys.revoke(await admin(), key.id);
    expect(errorOf(await run(queued))).toBe('api_key_revoked');
    expect((await store.listAudit()).find((r) => r.action === 'chat.completion')).toMatchObject({ outcome: 'refused', detail: { errorCode: 'api_key_revoked' } });
  });

  it('keeps a key to its models: the tier name a client sends, `default` when it sends none', async () => {
    const { key } = await accounts.keys.create(await admin(), { models: ['offline', 'default'] });
    expect(errorOf(await run(await keyJob(key.id, 'offline')))).toBe('reply');
    expect(errorOf(await run(await keyJob(key.id)))).toBe('reply');
    expect(errorOf(await run(await keyJob(key.id, 'thinking')))).toBe('model_not_allowed');
  });

  it('counts a key\'s real usage against its budget and refuses once it is spent', async () => {
    const { key } = await accounts.keys.create(await admin(), { budgetTokens: 30 });
    let answered = 0;
    while (errorOf(await run(await keyJob(key.id))) === 'reply') answered += 1;
    const spent = (await store.getApiKey(key.id))!.spentTokens;
    expect(answered).toBeGreaterThan(0);
    expect(spent).toBeGreaterThanOrEqual(30);
    // One request may overshoot (it was admitted with budget left); no second one does.
    expect(spent - 30).toBeLessThan(spent / answered + 1);
    expect(errorOf(await run(await keyJob(key.id)))).toBe('budget_exceeded');
  });
});
