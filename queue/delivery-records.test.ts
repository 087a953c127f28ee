import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useTestRedis } from '../test/helpers/redis.ts';
import { createRedisClient, type RedisClient } from './connection.ts';
import { redisDeliveryRecords } from './delivery-records.ts';

const redis = useTestRedis();

/**
 * A TCP proxy to the test Redis that, once armed, lets the next command matching `pattern` reach Redis
 * and then cuts the client's connection before Redis's answer gets back: what a Redis restart does to a
 * command caught in flight. ioredis reconnects and sends the command again.
 */
async function startLossyProxy(target: () => number) {
  let armed: RegExp | undefined;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(target(), '127.0.0.1');
    sockets.add(client).add(upstream);
    let cutting = false;
    client.on('data', (chunk) => {
      if (armed?.test(chunk.toString('latin1'))) {
        armed = undefined;
        cutting = true;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (cutting) client.destroy();
      else client.write(chunk);
    });
    const close = () => (client.destroy(), upstream.destroy());
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `redis://127.0.0.1:${(server.address() as { port: number }).port}`,
    loseAnswerTo(pattern: RegExp) {
      armed = pattern;
    },
    close: () => new Promise<void>((resolve) => (sockets.forEach((socket) => socket.destroy()), server.close(() => resolve()))),
  };
}

describe('redisDeliveryRecords', () => {
  let proxy: Awaited<ReturnType<typeof startLossyProxy>>;
  let client: RedisClient;
  beforeAll(async () => {
    proxy = await startLossyProxy(() => redis.server.port);
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
