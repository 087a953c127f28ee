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

  it('drops a job that does not match the schema, without touching the store', async () => {
    const outcome = await runJob({ v: 2, id: 'x' }, attempt());
    expect(outcome).toMatchObject({ kind: 'drop', error: { code: 'job_invalid' } });
    expect(await store.listAudit()).toEqual([]);
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
