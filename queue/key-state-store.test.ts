import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyRing } from '../core/models/key-ring.ts';
import { useTestRedis } from '../test/helpers/redis.ts';
import { createRedisClient, type RedisClient } from './connection.ts';
import { RedisKeyStateStore } from './key-state-store.ts';

const redis = useTestRedis();
let client: RedisClient;
beforeAll(() => {
  client = createRedisClient(redis.url);
});
afterAll(() => client?.disconnect());

describe('RedisKeyStateStore', () => {
  it('lets every process see a key another set aside, and skips a field it cannot read', async () => {
    const keys = ['sk-one-000000000000', 'sk-two-000000000000'];
    // Two rings on one store: two worker processes' views of the same provider.
    const worker = new KeyRing('openai', keys, { store: new RedisKeyStateStore(client) });
    const api = new KeyRing('openai', keys, { store: new RedisKeyStateStore(client) });
    await worker.remove(0, 'the provider answered 401');
    await worker.coolDown(1, 60_000);
    expect((await api.status()).map((key) => key.state)).toEqual(['removed', 'cooling']);
    expect(await api.order()).toEqual([]);
    expect(await api.unusable()).toMatchObject({ reason: 'cooling' });

    await client.hset('gw:keys:google', 'abc', '{not json');
    expect(await new RedisKeyStateStore(client).read('google')).toEqual({});
  });
});
