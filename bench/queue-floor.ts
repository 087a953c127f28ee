// `npm run bench:queue-floor`: what the queue alone costs a request, as a floor under the gateway's own
// figures. An HTTP server enqueues each request on BullMQ (with the platform's options: AOF Redis, a
// job kept after completion, 1000 jobs at once per worker), a worker in the same process completes it
// at once with no pipeline and hands the answer back in-process, as the platform's all-in-one process
// does. Printed: latency and this process's CPU per request, sequential and with 20 in flight, beside
// the same load against a bare HTTP server (the load generator's own share).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type RequestListener } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, Worker } from 'bullmq';
import { bullConnection } from '../queue/connection.ts';
import { keepCompleted } from '../queue/names.ts';
import { startRedisServer } from '../queue/redis-server.ts';
import { percentile, sequential, type Target } from './load.ts';
import { cpuMs } from './processes.ts';

const dir = mkdtempSync(join(tmpdir(), 'gw-queue-floor-'));
const redis = await startRedisServer({ dir, appendOnly: true });
const connection = bullConnection(redis.url);
const queue = new Queue('floor', { connection });
const waiting = new Map<string, (answer: object) => void>();
const worker = new Worker(
  'floor',
  async (job) => {
    const answer = { id: job.id, content: 'Hello' };
    waiting.get(job.id!)?.(answer);
    return answer;
  },
  { connection, concurrency: 1000 },
);
await worker.waitUntilReady();

async function serve(handler: RequestListener): Promise<Target> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { name: 'server', url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`, headers: {} };
}

const queued = await serve((request, response) => {
  request.resume();
  request.on('end', async () => {
    const id = randomUUID();
    const answered = new Promise<object>((resolve) => waiting.set(id, resolve));
    await queue.add('message', {}, { jobId: id, removeOnComplete: keepCompleted });
    const answer = await answered;
    waiting.delete(id);
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
  });
});
const bare = await serve((request, response) => {
  request.resume();
  request.on('end', () => response.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
});

const body = JSON.stringify({ model: 'gpt-5-mini', messages: [{ role: 'user', content: 'Hello' }] });
const ownCpuMs = () => cpuMs(process.pid);

async function measure(target: Target) {
  await sequential(target, body, 300); // warm-up
  let before = ownCpuMs();
  const one = await sequential(target, body, 1000);
  const oneCpu = (ownCpuMs() - before) / 1000;
  before = ownCpuMs();
  const started = performance.now();
  const many = await Promise.all(Array.from({ length: 20 }, () => sequential(target, body, 150)));
  const manyRate = 3000 / ((performance.now() - started) / 1000);
  const manyCpu = (ownCpuMs() - before) / 3000;
  const errors = one.errors + many.reduce((sum, run) => sum + run.errors, 0);
  return { p50: percentile(one.latencies, 0.5), p99: percentile(one.latencies, 0.99), oneCpu, manyRate, manyCpu, errors };
}

const floor = await measure(queued);
const generator = await measure(bare);
const ms = (value: number) => value.toFixed(2);
console.log('The queue alone: enqueue, a worker takes and completes the job, the answer handed back in-process.');
console.log(`  sequential: p50 ${ms(floor.p50)} ms, p99 ${ms(floor.p99)} ms (a bare server: p50 ${ms(generator.p50)} ms); CPU ${ms(floor.oneCpu - generator.oneCpu)} ms per request beyond the load generator's`);
console.log(`  20 in flight: ${floor.manyRate.toFixed(0)} req/s; CPU ${ms(floor.manyCpu - generator.manyCpu)} ms per request beyond the load generator's`);
if (floor.errors + generator.errors > 0) console.log(`  errors: ${floor.errors + generator.errors}`);
await worker.close();
await queue.close();
await redis.stop();
rmSync(dir, { recursive: true, force: true });
process.exit(0);
