import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRedisClient, type RedisClient } from '../../../queue/connection.ts';
import { redisCheckpoints } from '../../../queue/checkpoints.ts';
import { RedisTokenBuckets, redisOnceWithin } from '../../../queue/token-buckets.ts';
import { httpJob, testKey } from '../../../test/helpers/jobs.ts';
import { useTestRedis } from '../../../test/helpers/redis.ts';
import type { RoleLimits } from '../../config/config.ts';
import { ModelRegistry } from '../../models/registry.ts';
import { SqliteStore } from '../../store/embedded/sqlite-store.ts';
import { createJobRunner, type JobRunner } from '../run-job.ts';

const redis = useTestRedis();
let client: RedisClient;
let store: SqliteStore;
beforeAll(() => {
  client = createRedisClient(redis.url);
});
afterAll(() => client.disconnect());
beforeEach(() => {
  store = new SqliteStore(':memory:');
  return () => store.close();
});

const runnerWith = (limits: RoleLimits): JobRunner =>
  createJobRunner({
    store,
    models: new ModelRegistry(),
    jwtKey: testKey,
    log: pino({ level: 'silent' }),
    accessMode: 'open',
    rateLimits: { buckets: new RedisTokenBuckets(client), notices: redisOnceWithin(client), limits },
  });
const run = (runJob: JobRunner, job: Awaited<ReturnType<typeof httpJob>>) =>
  runJob(job, { attempt: 1, final: true, checkpoints: redisCheckpoints(client, job.id) });
const noLimit = { requestsPerMinute: undefined, tokensPerMinute: undefined };

let n = 0;
const someone = () => `user-${(n += 1)}`;

describe('the rate-limit step', () => {
  it('admits a user up to the limit, then refuses with when to come back; every reply carries the buckets', async () => {
    const runJob = runnerWith({ user: { requestsPerMinute: 2, tokensPerMinute: 10_000 }, admin: noLimit });
    const user = someone();
    const first = await run(runJob, await httpJob({ user }));
    expect(first).toMatchObject({ kind: 'reply', reply: { status: 'ok', rateLimits: { requests: { limit: 2, remaining: 1 }, tokens: { limit: 10_000 } } } });
    await run(runJob, await httpJob({ user }));
    const third = await run(runJob, await httpJob({ user }));
    expect(third).toMatchObject({
      kind: 'reply',
      reply: { status: 'error', error: { code: 'rate_limited', retryable: false }, rateLimits: { requests: { limit: 2, remaining: 0 } } },
    });
    const error = third.kind === 'reply' && third.reply.status === 'error' ? third.reply.error : undefined;
    expect(error?.message).toMatch(/limit of 2 requests per minute\. Please try again in \d+ s\./);
    expect(error?.retryAfterMs).toBeGreaterThan(0);
    expect(error?.retryAfterMs).toBeLessThanOrEqual(30_000);
    // Another user has buckets of their own.
    expect(await run(runJob, await httpJob({ user: someone() }))).toMatchObject({ kind: 'reply', reply: { status: 'ok' } });
    // The refusal is audited as one.
    expect((await store.listAudit()).filter((record) => record.outcome === 'refused')).toHaveLength(1);
  });

  it('reconciles the token reservation with the usage the model reported', async () => {
    const runJob = runnerWith({ user: { requestsPerMinute: undefined, tokensPerMinute: 10_000 }, admin: noLimit });
    const user = someone();
    const first = await run(runJob, await httpJob({ user, text: 'hello' }));
    const reserved = first.kind === 'reply' ? 10_000 - (first.reply.rateLimits?.tokens?.remaining ?? 0) : 0;
    const used = first.kind === 'reply' && first.reply.status === 'ok' ? first.reply.usage.inputTokens + first.reply.usage.outputTokens : 0;
    expect(reserved).toBeGreaterThan(used); // 256 output tokens reserved; the offline model uses a few
    const second = await run(runJob, await httpJob({ user, text: 'hello' }));
    // The second take sees the first's real cost, not its reservation: about `used` gone, plus its own reservation.
    const remaining = second.kind === 'reply' ? (second.reply.rateLimits?.tokens?.remaining ?? 0) : 0;
    expect(10_000 - remaining).toBeGreaterThanOrEqual(used + reserved - 1);
    expect(10_000 - remaining).toBeLessThanOrEqual(used + reserved + 1);
  });

  it('refuses for good a request larger than the whole token limit', async () => {
    const runJob = runnerWith({ user: { requestsPerMinute: undefined, tokensPerMinute: 100 }, admin: noLimit });
    const outcome = await run(runJob, await httpJob({ user: someone(), text: 'x'.repeat(2000) }));
    expect(outcome).toMatchObject({ kind: 'reply', reply: { status: 'error', error: { code: 'rate_limited' } } });
    const error = outcome.kind === 'reply' && outcome.reply.status === 'error' ? outcome.reply.error : undefined;
    expect(error?.message).toMatch(/needs about \d+ tokens, more than your limit of 100 tokens per minute/);
    expect(error?.retryAfterMs).toBeUndefined();
  });

  it('tells a chat user once per wait, and leaves their further messages unanswered but recorded', async () => {
    const runJob = runnerWith({ user: { requestsPerMinute: 1, tokensPerMinute: undefined }, admin: noLimit });
    const user = someone();
    expect(await run(runJob, await httpJob({ user, platform: 'telegram' }))).toMatchObject({ kind: 'reply', reply: { status: 'ok' } });
    expect(await run(runJob, await httpJob({ user, platform: 'telegram' }))).toMatchObject({ kind: 'reply', reply: { status: 'error', error: { code: 'rate_limited' } } });
    expect(await run(runJob, await httpJob({ user, platform: 'telegram' }))).toMatchObject({ kind: 'drop', error: { code: 'rate_limited_again' } });
    expect(await run(runJob, await httpJob({ user, platform: 'telegram' }))).toMatchObject({ kind: 'drop', error: { code: 'rate_limited_again' } });
    const refused = (await store.listAudit()).filter((record) => record.outcome === 'refused');
    expect(refused.map((record) => record.detail.errorCode).sort()).toEqual(['rate_limited', 'rate_limited_again', 'rate_limited_again']);
  });

  it('leaves roles without limits alone', async () => {
    const runJob = runnerWith({ user: noLimit, admin: noLimit });
    const outcome = await run(runJob, await httpJob({ user: someone() }));
    expect(outcome).toMatchObject({ kind: 'reply', reply: { status: 'ok' } });
    expect(outcome.kind === 'reply' && outcome.reply.rateLimits).toBeUndefined();
  });
});
