import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../core/errors/gateway-error.ts';
import type { JobRunner } from '../core/pipeline/run-job.ts';
import { createJobRunner } from '../core/pipeline/run-job.ts';
import { ModelRegistry } from '../core/models/registry.ts';
import { SqliteStore } from '../core/store/embedded/sqlite-store.ts';
import { httpJob, okReply, testKey } from '../test/helpers/jobs.ts';
import { useTestRedis } from '../test/helpers/redis.ts';
import { bullConnection, createRedisClient } from './connection.ts';
import { InboundQueue } from './inbound-queue.ts';
import { inboundQueueName } from './names.ts';
import { ReplyWaiter } from './replies.ts';
import { startInboundWorker, type InboundWorker } from './worker.ts';

const redis = useTestRedis();
const log = pino({ level: 'silent' });
let queue: InboundQueue;
let replies: ReplyWaiter;
let workers: InboundWorker[] = [];

beforeAll(async () => {
  queue = new InboundQueue(redis.url);
  replies = new ReplyWaiter(redis.url);
  await replies.ready();
});
afterEach(async () => {
  await Promise.all(workers.map((worker) => worker.close()));
  workers = [];
});
afterAll(async () => {
  await queue.close();
  await replies.close();
});

describe('inbound queue and worker', () => {
  it('answers an event delivered twice exactly once', async () => {
    const store = new SqliteStore(':memory:');
    const runJob = createJobRunner({ store, models: new ModelRegistry(), jwtKey: testKey, log });
    let runs = 0;
    const counting: JobRunner = (data, attempt) => ((runs += 1), runJob(data, attempt));
    workers.push(await startInboundWorker({ redisUrl: redis.url, runJob: counting, log }));

    const job = await httpJob({ text: 'only once', address: replies.address });
    const answer = replies.awaitReply(job.id);
    await queue.enqueue(job);
    const first = await answer;
    await queue.enqueue({ ...job, requestId: 'req_redelivered' });
    const second = await replies.awaitReply(job.id);
    await sleep(300); // time for a wrongly accepted duplicate to be processed

    expect(second).toEqual(first);
    expect(first).toMatchObject({ status: 'ok', jobId: job.id, message: { content: expect.stringContaining('"only once"') } });
    expect(runs).toBe(1);
    const messages = await store.listMessages(job.conversationId);
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(await store.listRequests()).toHaveLength(1);
    await store.close();
  });

  it('answers one conversation in order, one at a time, while another proceeds in parallel', async () => {
    const events: string[] = [];
    const delays: Record<string, number> = { a1: 400, a2: 10, a3: 10, b1: 50 };
    const runJob: JobRunner = async (data) => {
      const job = data as { id: string; requestId: string; conversationId: string; input: { messages: { content: string }[] } };
      const text = job.input.messages[0]?.content ?? '';
      events.push(`start ${text}`);
      await sleep(delays[text] ?? 0);
      events.push(`end ${text}`);
      return okReply(job, text);
    };
    // Two worker instances, as two processes would be, each running several jobs at once.
    workers.push(await startInboundWorker({ redisUrl: redis.url, runJob, log, concurrency: 4, order: { parkMs: 2000 } }));
    workers.push(await startInboundWorker({ redisUrl: redis.url, runJob, log, concurrency: 4, order: { parkMs: 2000 } }));

    const jobs = {
      a1: await httpJob({ conversationId: 'conv-a', text: 'a1', address: replies.address }),
      a2: await httpJob({ conversationId: 'conv-a', text: 'a2', address: replies.address }),
      a3: await httpJob({ conversationId: 'conv-a', text: 'a3', address: replies.address }),
      b1: await httpJob({ conversationId: 'conv-b', text: 'b1', address: replies.address }),
    };
    const started = Date.now();
    const waiting = Object.values(jobs).map((job) => replies.awaitReply(job.id));
    for (const job of Object.values(jobs)) await queue.enqueue(job);
    const answers = await Promise.all(waiting);
    const elapsed = Date.now() - started;

    expect(answers.map((reply) => reply.status === 'ok' && reply.message.content)).toEqual(['a1', 'a2', 'a3', 'b1']);
    const conversationA = events.filter((event) => event.includes(' a'));
    expect(conversationA).toEqual(['start a1', 'end a1', 'start a2', 'end a2', 'start a3', 'end a3']);
    // b1 ran while a1 was still running: conversations do not wait for each other.
    expect(events.indexOf('end b1')).toBeLessThan(events.indexOf('end a1'));
    // Followers were woken by promotion, not by the 2 s park timeout.
    expect(elapsed).toBeLessThan(1500);
  });

  it('retries a transient failure without repeating a checkpointed step', async () => {
    let attempts = 0;
    let paid = 0;
    const runJob: JobRunner = async (data, { attempt, final, checkpoints }) => {
      attempts += 1;
      const job = data as { id: string; requestId: string; conversationId: string };
      const text = await checkpoints.once('infer', async () => ((paid += 1), 'paid answer'));
      if (attempt === 1) {
        const { GatewayError } = await import('../core/errors/gateway-error.ts');
        return { kind: 'retry', error: new GatewayError('store_unavailable', 'store hiccup') };
      }
      expect(final).toBe(false);
      return okReply(job, text);
    };
    workers.push(await startInboundWorker({ redisUrl: redis.url, runJob, log }));
    const job = await httpJob({ address: replies.address });
    const answer = replies.awaitReply(job.id, { timeoutMs: 10_000 });
    await queue.enqueue(job);
    const reply = await answer;
    expect(reply).toMatchObject({ status: 'ok', message: { content: 'paid answer' } });
    expect({ attempts, paid }).toEqual({ attempts: 2, paid: 1 });
  });

  it('answers a job that keeps stopping its workers with job_crashed, once, records it, and runs it no more', async () => {
    const store = new SqliteStore(':memory:');
    const runner = createJobRunner({ store, models: new ModelRegistry(), jwtKey: testKey, log });
    const control = createRedisClient(redis.url);
    let runs = 0;
    let letGo: () => void = () => {};
    const hanging = new Promise<void>((resolve) => (letGo = resolve));
    // Each run loses its hold on the job at once, as a worker that died would, and never finishes.
    const dying: JobRunner = async (data, attempt) => {
      runs += 1;
      await control.del(`bull:${inboundQueueName}:${attempt.queueJobId}:lock`);
      await hanging;
      return { kind: 'retry', error: new GatewayError('internal_error', 'let go') };
    };
    const runJob: JobRunner = (data, attempt) => (attempt.giveUp ? runner(data, attempt) : dying(data, attempt));
    try {
      // Earlier tests' workers checked for stalled jobs with the default interval, and BullMQ lets no
      // worker check again until it has passed: start this one's quick checks afresh.
      await control.del(`bull:${inboundQueueName}:stalled-check`);
      workers.push(await startInboundWorker({ redisUrl: redis.url, runJob, log, lockDurationMs: 200, maxStalls: 1 }));
      const job = await httpJob({ address: replies.address, text: 'a message that kills its worker' });
      const answer = replies.awaitReply(job.id, { timeoutMs: 10_000 });
      await queue.enqueue(job);
      expect(await answer).toMatchObject({ status: 'error', jobId: job.id, error: { code: 'job_crashed', message: expect.stringContaining('could not be answered') } });
      // Taken over once (maxStalls 1), then given up on without a third run.
      await sleep(600);
      expect(runs).toBe(2);
      const lookup = new Queue(inboundQueueName, { connection: bullConnection(redis.url) });
      expect(await (await lookup.getJob(job.id))?.getState()).toBe('failed');
      await lookup.close();
      expect(await store.listAudit()).toEqual([expect.objectContaining({ actorId: expect.any(String), outcome: 'error', detail: expect.objectContaining({ errorCode: 'job_crashed' }) })]);
    } finally {
      letGo();
      control.disconnect();
      await store.close();
    }
  });

  it('never answers or retries a job with a forged identity token, and audits it', async () => {
    const store = new SqliteStore(':memory:');
    const runJob = createJobRunner({ store, models: new ModelRegistry(), jwtKey: testKey, log });
    workers.push(await startInboundWorker({ redisUrl: redis.url, runJob, log }));
    const forged = { ...(await httpJob({ address: replies.address })), identityToken: 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJtYWxsb3J5In0.' };
    const answer = replies.awaitReply(forged.id, { timeoutMs: 5000 });
    await queue.enqueue(forged);
    await expect(answer).rejects.toMatchObject({ code: 'internal_error' });
    // Failed for good on its first attempt: an unauthenticated job is never retried. (The refusal
    // reaches a waiter in this process before BullMQ has marked the job failed.)
    const lookup = new Queue(inboundQueueName, { connection: bullConnection(redis.url) });
    await waitFor(async () => (await lookup.getJobState(forged.id)) === 'failed');
    const failed = await lookup.getJob(forged.id);
    expect(await failed?.getState()).toBe('failed');
    expect(failed?.attemptsMade).toBe(1);
    expect(failed?.failedReason).toMatch(/^job_unauthenticated: /);
    await lookup.close();
    const [record] = await store.listAudit();
    expect(record).toMatchObject({ actorId: null, outcome: 'refused', detail: { errorCode: 'job_unauthenticated' } });
    expect(await store.listMessages(forged.conversationId)).toEqual([]);
    await store.close();
  });

  it('refuses and audits a genuine job re-added under another queue id, and still answers the original', async () => {
    const store = new SqliteStore(':memory:');
    const runJob = createJobRunner({ store, models: new ModelRegistry(), jwtKey: testKey, log });
    workers.push(await startInboundWorker({ redisUrl: redis.url, runJob, log }));
    const job = await httpJob({ conversationId: 'conv-replayed', address: replies.address });
    const lookup = new Queue(inboundQueueName, { connection: bullConnection(redis.url) });
    // Captured from Redis and added again under a fresh id before the original is taken: same body, same valid token.
    const copyId = 'http-copied-under-a-new-id';
    const refusal = replies.awaitReply(copyId, { timeoutMs: 5000 });
    await lookup.add('message', job, { jobId: copyId });
    await expect(refusal).rejects.toMatchObject({ code: 'internal_error' });
    await waitFor(async () => (await lookup.getJobState(copyId)) === 'failed');
    const copy = await lookup.getJob(copyId);
    expect(await copy?.getState()).toBe('failed');
    expect(copy?.attemptsMade).toBe(1);
    expect(copy?.failedReason).toMatch(/^job_unauthenticated: /);
    expect(await store.listMessages(job.conversationId)).toEqual([]);
    expect(await store.listAudit()).toEqual([
      expect.objectContaining({ actorId: null, outcome: 'refused', detail: expect.objectContaining({ jobId: copyId, claimedJobId: job.id, errorCode: 'job_unauthenticated' }) }),
    ]);

    // The genuine job, enqueued as adapters do, is answered: the copy took no place in its conversation.
    const answer = replies.awaitReply(job.id, { timeoutMs: 5000 });
    await queue.enqueue(job);
    expect(await answer).toMatchObject({ status: 'ok', jobId: job.id });
    expect((await store.listAudit()).map((record) => record.outcome)).toEqual(['ok', 'refused']);
    await lookup.close();
    await store.close();
  });

  it('fails an invalid job on its first attempt and audits it as refused, without its payload', async () => {
    const store = new SqliteStore(':memory:');
    const runJob = createJobRunner({ store, models: new ModelRegistry(), jwtKey: testKey, log });
    workers.push(await startInboundWorker({ redisUrl: redis.url, runJob, log }));
    const lookup = new Queue(inboundQueueName, { connection: bullConnection(redis.url) });
    const genuine = await httpJob({ platform: 'telegram' });
    // Fields a payload could use against the worker before validation: an address that is no id, a
    // conversation and reply target that are objects.
    const payloads = [
      { ...genuine, v: 9, replyTo: { address: { toString: 1 } } },
      { id: 'raw-2', conversationId: { toString: 'x' }, source: { platform: 'telegram' }, identityToken: genuine.identityToken },
      'just a string',
    ];
    for (const [index, data] of payloads.entries()) await lookup.add('message', data, { jobId: `raw-${index}`, attempts: 3 });
    // Each of these failed (the queue's failed count also holds earlier tests' jobs).
    await waitFor(async () => (await Promise.all(payloads.map((_, index) => lookup.getJobState(`raw-${index}`)))).every((state) => state === 'failed'));
    for (const index of payloads.keys()) {
      const job = await lookup.getJob(`raw-${index}`);
      expect(job?.attemptsMade).toBe(1);
      expect(job?.failedReason).toMatch(/^job_invalid: /);
    }
    await waitFor(async () => (await store.listAudit()).length >= payloads.length);
    const records = await store.listAudit();
    expect(records.map((record) => [record.outcome, record.actorId, record.detail.errorCode])).toEqual(payloads.map(() => ['refused', null, 'job_invalid']));
    expect(JSON.stringify(records)).not.toContain(genuine.identityToken);
    await lookup.close();
    await store.close();
  });
});

async function waitFor(done: () => Promise<boolean>, timeoutMs = 5000) {
  const until = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > until) throw new Error('timed out');
    await sleep(50);
  }
}
