// One of several processes drawing from one shared bucket as fast as it can, as replicas would.
// Usage: node hammer-buckets.ts <redisUrl> <key> <capacity> <periodMs> <attempts> <concurrency>
// Prints "ready" once connected, starts on a line on stdin (so every process starts at once), and
// prints {"admitted":N,"refused":M} when done.
import { createRedisClient } from '../../queue/connection.ts';
import { RedisTokenBuckets } from '../../queue/token-buckets.ts';

const [redisUrl = '', key = '', ...numbers] = process.argv.slice(2);
const [capacity = 0, periodMs = 0, attempts = 0, concurrency = 1] = numbers.map(Number);
const redis = createRedisClient(redisUrl);
const buckets = new RedisTokenBuckets(redis);
await redis.ping();
process.stdout.write('ready\n');
await new Promise((resolve) => process.stdin.once('data', resolve));
process.stdin.destroy();
let admitted = 0;
let refused = 0;
let started = 0;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (started < attempts) {
      started += 1;
      const result = await buckets.take([{ key, capacity, periodMs, cost: 1 }]);
      if (result.allowed) admitted += 1;
      else refused += 1;
    }
  }),
);
process.stdout.write(`${JSON.stringify({ admitted, refused })}\n`);
redis.disconnect();
