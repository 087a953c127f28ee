import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startLossyRedisProxy, type LossyRedisProxy } from '../test/helpers/lossy-redis-proxy.ts';
import { useTestRedis } from '../test/helpers/redis.ts';
import { createRedisClient, type RedisClient } from './connection.ts';
import { redisDeliveryRecords } from './delivery-records.ts';

const redis = useTestRedis();

describe('redisDeliveryRecords', () => {
  let proxy: LossyRedisProxy;
  let client: RedisClient;
  beforeAll(async () => {
    proxy = await startLossyRedisProxy(redis.server.port);
  });
  afterEach(() => client?.disconnect());
  afterAll(() => proxy.close());

  it('a claim whose answer is lost to a dropped connection is still the claimer’s when ioredis sends it again', async () => {
    client = createRedisClient(proxy.url);
    const records = redisDeliveryRecords(client);
    proxy.loseAnswerTo(/local earlier/); // the claim script's text
    expect(await records.claim('job-resent', 'p0')).toBeUndefined();
    expect((await records.read('job-resent')).p0).toMatch(/^sending:/);
    // Another claimer still finds the part taken.
    expect(await redisDeliveryRecords(client).claim('job-resent', 'p0')).toMatch(/^sending:/);
  });

  it('a part claimed by another, or already sent, is not claimed again; a failed one is', async () => {
    client = createRedisClient(redis.url);
    const first = redisDeliveryRecords(client);
    const second = redisDeliveryRecords(client);
    expect(await first.claim('job-two', 'p0')).toBeUndefined();
    expect(await second.claim('job-two', 'p0')).toMatch(/^sending:/);
    await first.record('job-two', 'p0', 'sent:41');
    expect(await second.claim('job-two', 'p0')).toBe('sent:41');
    await first.record('job-two', 'p1', 'failed');
    expect(await second.claim('job-two', 'p1')).toBeUndefined();
  });
});
