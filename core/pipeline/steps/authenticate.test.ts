import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { httpJob, testKey } from '../../../test/helpers/jobs.ts';
import type { InboundJobInput, Platform } from '../../contracts/job.ts';
import { mintJobToken } from '../../identity/tokens.ts';
import { ModelRegistry } from '../../models/registry.ts';
import { SqliteStore } from '../../store/embedded/sqlite-store.ts';
import type { Checkpoints } from '../context.ts';
import { createJobRunner, type JobRunner } from '../run-job.ts';

const noCheckpoints: Checkpoints = { once: (_name, work) => work() };
let store: SqliteStore;
let runJob: JobRunner;
beforeEach(() => {
  store = new SqliteStore(':memory:');
  runJob = createJobRunner({ store, models: new ModelRegistry(), jwtKey: testKey, accessMode: 'open', log: pino({ level: 'silent' }) });
});
afterEach(() => store.close());

const run = (job: InboundJobInput) => runJob(job, { attempt: 1, final: true, checkpoints: noCheckpoints, queueJobId: job.id });

/** A Telegram chat job whose token, bound to its very id, claims `platform`. */
async function telegramJobWithTokenFor(platform: Platform) {
  const job = await httpJob({ platform: 'telegram', user: '5151' });
  return { ...job, identityToken: mintJobToken(testKey, job.id, { platform, externalId: '5151' }) };
}

/** Nobody answered, nobody created, and the attempt audited as refused with no actor. */
async function expectRefusedUnanswered(job: InboundJobInput) {
  expect(await run(job)).toMatchObject({ kind: 'drop', error: { code: 'job_unauthenticated' } });
  expect(await store.listMessages(job.conversationId)).toEqual([]);
  expect(await store.listUsers()).toEqual([]);
  const records = await store.listAudit();
  expect(records).toEqual([expect.objectContaining({ id: `${job.id}:chat`, actorId: null, outcome: 'refused', detail: expect.objectContaining({ errorCode: 'job_unauthenticated' }) })]);
  expect(JSON.stringify(records)).not.toContain(job.identityToken);
}

describe('authenticate', () => {
  it('answers a job whose token was minted for its own id and platform', async () => {
    const job = await telegramJobWithTokenFor('telegram');
    expect(await run(job)).toMatchObject({ kind: 'reply', reply: { status: 'ok' } });
  });

  it.each(['slack', 'discord', 'http'] as const)('refuses a Telegram job carrying a valid token minted for %s, never creating that user', async (platform) => {
    const job = await telegramJobWithTokenFor(platform);
    // The reply goes where the token says, so only the source's platform gives the job away.
    await expectRefusedUnanswered({ ...job, replyTo: { adapter: platform, chat: { id: '5151' } } });
  });

  it('refuses a job whose reply would go to another platform than its token names', async () => {
    const job = await telegramJobWithTokenFor('telegram');
    await expectRefusedUnanswered({ ...job, replyTo: { adapter: 'slack', chat: { id: 'C0123' } } });
  });

  it('refuses a job whose token is expired', async () => {
    const job = await httpJob({ platform: 'telegram', user: '5151' });
    await expectRefusedUnanswered({ ...job, identityToken: mintJobToken(testKey, job.id, { platform: 'telegram', externalId: '5151' }, { expiresInSeconds: -60 }) });
  });

  it('refuses a job carrying the token of another job', async () => {
    const job = await httpJob({ platform: 'telegram', user: '5151' });
    const other = await httpJob({ platform: 'telegram', user: '5151' });
    await expectRefusedUnanswered({ ...job, identityToken: other.identityToken });
  });
});
