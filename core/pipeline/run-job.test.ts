import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { httpJob, testKey } from '../../test/helpers/jobs.ts';
import { ModelRegistry } from '../models/registry.ts';
import { SqliteStore } from '../store/embedded/sqlite-store.ts';
import type { Checkpoints } from './context.ts';
import { createJobRunner, type JobRunner } from './run-job.ts';

/** The checkpoint contract held in memory, as one worker attempt sees it. */
const memoryCheckpoints = (): Checkpoints => {
  const saved = new Map<string, unknown>();
  return {
    async once<T>(name: string, work: () => Promise<T>) {
      if (!saved.has(name)) saved.set(name, await work());
      return saved.get(name) as T;
    },
  };
};

let store: SqliteStore;
let runJob: JobRunner;
const attempt = (final = false) => ({ attempt: 1, final, checkpoints: memoryCheckpoints() });

beforeEach(() => {
  store = new SqliteStore(':memory:');
  runJob = createJobRunner({ store, models: new ModelRegistry(), jwtKey: testKey, log: pino({ level: 'silent' }) });
});
afterEach(() => store.close());

describe('runJob', () => {
  it('makes the identities ADMIN_USERS names admins, new or already known', async () => {
    const known = await store.resolveUser({ platform: 'telegram', externalId: '77' }, { role: 'user' });
    const withAdmins = createJobRunner({
      store,
      models: new ModelRegistry(),
      jwtKey: testKey,
      log: pino({ level: 'silent' }),
      adminUsers: [
        { platform: 'telegram', externalId: '77' },
        { platform: 'slack', externalId: 'U1' },
      ],
    });
    await withAdmins(await httpJob({ platform: 'telegram', user: '77' }), attempt());
    await withAdmins(await httpJob({ platform: 'slack', user: 'U1' }), attempt());
    await withAdmins(await httpJob({ platform: 'slack', user: 'U2' }), attempt());
    expect((await store.getUser(known.id))?.role).toBe('admin');
    expect((await store.resolveUser({ platform: 'slack', externalId: 'U1' }, { role: 'user' })).role).toBe('admin');
    // Not listed: a new chat user like any other, pending an admin's approval (ACCESS_MODE=pairing, the default).
    expect((await store.resolveUser({ platform: 'slack', externalId: 'U2' }, { role: 'user' })).role).toBe('pending');
  });

  it('answers through every step: stores both turns, audits, logs the request', async () => {
    const job = await httpJob({ text: 'hello there', user: 'carol' });
    const outcome = await runJob(job, attempt());
    expect(outcome).toMatchObject({
      kind: 'reply',
      reply: { status: 'ok', jobId: job.id, requestId: job.requestId, model: 'offline', finishReason: 'stop' },
    });
    const [user] = await Promise.all([store.resolveUser({ platform: 'http', externalId: 'carol' }, { role: 'admin' })]);
    expect(user?.role).toBe('user');
    const messages = await store.listMessages(job.conversationId);
    expect(messages.map((m) => [m.id, m.role, m.userId])).toEqual([
      [`${job.id}:in`, 'user', user?.id],
      [`${job.id}:out`, 'assistant', user?.id],
    ]);
    expect(await store.listAudit()).toEqual([
      expect.objectContaining({
        id: `${job.id}:chat`,
        requestId: job.requestId,
        actorId: user?.id,
        action: 'chat.completion',
        outcome: 'ok',
        detail: { jobId: job.id, platform: 'http', conversationId: job.conversationId, model: 'offline', tier: 'instant', routeReason: 'default' },
      }),
    ]);
    expect(await store.listRequests()).toEqual([
      expect.objectContaining({ requestId: job.requestId, status: 'ok', model: 'offline', errorCode: null }),
    ]);
  });

  it('answers a non-retryable failure with an error reply a person can read, and records it', async () => {
    const job = { ...(await httpJob()), request: { model: 'nope/never' } };
    const outcome = await runJob(job, attempt());
    expect(outcome).toMatchObject({
      kind: 'reply',
      reply: { status: 'error', error: { code: 'model_not_found', param: 'model', retryable: false } },
    });
    expect(await store.listRequests()).toEqual([expect.objectContaining({ status: 'error', errorCode: 'model_not_found' })]);
    expect((await store.listAudit())[0]).toMatchObject({ outcome: 'error', detail: { errorCode: 'model_not_found' } });
  });

  it('drops a job that does not match the schema, and audits it as refused with only what is safe to keep', async () => {
    const job = await httpJob({ platform: 'telegram' });
    const payload = { ...job, v: 2, requestId: 'no spaces allowed', input: { messages: [] }, secret: 'payload-secret-1234' };
    const outcome = await runJob(payload, { ...attempt(), queueJobId: job.id });
    expect(outcome).toMatchObject({ kind: 'drop', error: { code: 'job_invalid' } });
    const records = await store.listAudit();
    expect(records).toEqual([
      expect.objectContaining({
        actorId: null,
        action: 'chat.completion',
        outcome: 'refused',
        detail: { jobId: job.id, platform: 'telegram', errorCode: 'job_invalid', issues: expect.stringMatching(/^v: .+; requestId: .+; input\.messages: .+$/) },
      }),
    ]);
    const stored = JSON.stringify(records);
    expect(stored).not.toContain(job.identityToken);
    expect(stored).not.toContain('payload-secret-1234');
    expect(stored).not.toContain('no spaces allowed');
    // Nothing else is touched: no user, no message, no request log.
    expect(await store.listRequests()).toEqual([]);
    expect(await store.listMessages(job.conversationId)).toEqual([]);
    // Redelivered under the same queue id: still one record.
    await runJob(payload, { ...attempt(), queueJobId: job.id });
    expect(await store.listAudit()).toHaveLength(1);
  });

  it('audits any invalid payload with bounded detail: no platform unless a string, a long queue id cut, a summary of a few issues', async () => {
    const hugeId = 'j'.repeat(10_000);
    const manyBad = { v: 1, source: { platform: { nested: 'x' } }, input: { messages: Array.from({ length: 5000 }, () => ({ role: 'robot', content: 7 })) } };
    for (const [index, data] of [null, 'a string', 42, [1, 2], manyBad, { source: { platform: 'p'.repeat(5000) } }].entries()) {
      const outcome = await runJob(data, { ...attempt(), queueJobId: `${hugeId}-${index}` });
      expect(outcome).toMatchObject({ kind: 'drop', error: { code: 'job_invalid' } });
      expect(outcome.kind === 'drop' && outcome.error.message.length).toBeLessThan(1000);
    }
    const records = await store.listAudit();
    expect(records).toHaveLength(6);
    for (const record of records) {
      expect(record).toMatchObject({ actorId: null, outcome: 'refused', detail: { errorCode: 'job_invalid' } });
      expect(JSON.stringify(record.detail).length).toBeLessThan(1000);
      expect(String(record.detail.jobId).length).toBeLessThanOrEqual(101);
    }
    expect(records.filter((record) => 'platform' in record.detail).map((record) => String(record.detail.platform).length)).toEqual([21]);
    expect(records.find((record) => String(record.detail.issues).includes('more'))?.detail.issues).toMatch(/; and \d+ more$/);
    // Cut before a character that takes two UTF-16 units, not through it.
    await runJob({}, { ...attempt(), queueJobId: `${'a'.repeat(99)}😀${'b'.repeat(50)}` });
    expect((await store.listAudit())[0]?.detail.jobId).toBe(`${'a'.repeat(99)}…`);
  });

  it('refuses and audits a genuine job found under another queue id than its own, so a captured job cannot be replayed', async () => {
    const job = await httpJob({ platform: 'telegram', user: '4242' });
    const outcome = await runJob(job, { ...attempt(), queueJobId: 'replayed-1' });
    expect(outcome).toMatchObject({ kind: 'drop', error: { code: 'job_unauthenticated' } });
    expect(await store.listMessages(job.conversationId)).toEqual([]);
    expect(await store.listAudit()).toEqual([
      expect.objectContaining({
        actorId: null,
        outcome: 'refused',
        detail: { jobId: 'replayed-1', claimedJobId: job.id, platform: 'telegram', conversationId: job.conversationId, errorCode: 'job_unauthenticated' },
      }),
    ]);
    // The genuine job, under its own id, is answered; and the copy's record does not take its place.
    expect(await runJob(job, { ...attempt(), queueJobId: job.id })).toMatchObject({ kind: 'reply' });
    await runJob(job, { ...attempt(), queueJobId: 'replayed-2' });
    expect((await store.listAudit()).map((record) => [record.detail.jobId, record.outcome])).toEqual([
      ['replayed-2', 'refused'],
      [job.id, 'refused'], // pairing_required: a new Telegram user in the default access mode
      ['replayed-1', 'refused'],
    ]);
  });

  it('drops a job whose token was minted for another job', async () => {
    const a = await httpJob();
    const b = await httpJob();
    const outcome = await runJob({ ...a, identityToken: b.identityToken }, attempt());
    expect(outcome).toMatchObject({ kind: 'drop', error: { code: 'job_unauthenticated' } });
    expect(await store.listMessages(a.conversationId)).toEqual([]);
  });

  it('stores nothing twice when the same job runs again', async () => {
    const job = await httpJob();
    const checkpoints = memoryCheckpoints();
    const first = await runJob(job, { attempt: 1, final: false, checkpoints });
    const again = await runJob(job, { attempt: 2, final: false, checkpoints });
    expect(again.kind === 'reply' && again.reply.status === 'ok' && again.reply.message).toEqual(
      first.kind === 'reply' && first.reply.status === 'ok' && first.reply.message,
    );
    expect(await store.listMessages(job.conversationId)).toHaveLength(2);
    expect(await store.listRequests()).toHaveLength(1);
    expect(await store.listAudit()).toHaveLength(1);
  });
});
