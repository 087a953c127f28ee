import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../core/errors/gateway-error.ts';
import { httpJob } from '../test/helpers/jobs.ts';
import { useTestRedis } from '../test/helpers/redis.ts';
import { InboundQueue } from './inbound-queue.ts';

const redis = useTestRedis();
let queue: InboundQueue;
beforeAll(() => {
  queue = new InboundQueue(redis.url);
});
afterAll(async () => {
  await queue?.close();
});

/** A JSON object `depth` levels deep, as JSON.parse builds one from a request body. */
const nested = (depth: number) => JSON.parse(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`) as Record<string, unknown>;

describe('InboundQueue.enqueue', () => {
  it('refuses a job nested too deeply to be stored as a request error (400), not as the queue being down (503)', async () => {
    const job = { ...(await httpJob()), request: { tools: [{ name: 'f', parameters: nested(20_000) }] } };
    const refused = await queue.enqueue(job).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(GatewayError);
    expect(refused).toMatchObject({ code: 'invalid_request', status: 400, retryable: false });
    expect((refused as GatewayError).message).toMatch(/^The request is nested too deeply to be queued/);
  });

  it('still queues a job with deep but storable tool parameters', async () => {
    const job = { ...(await httpJob()), request: { tools: [{ name: 'f', parameters: nested(500) }] } };
    await expect(queue.enqueue(job)).resolves.toMatchObject({ id: job.id });
  });
});
