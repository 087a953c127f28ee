// The thinnest gateway the design allows, as a floor under the platform's figures: every request is a
// BullMQ job (AOF Redis, the platform's job options), taken by a worker in the same process that calls
// the upstream and hands its answer back in-process, as the platform's all-in-one process does. No
// authentication, rate limit, store, audit, retry or metrics: what is left is the price of the queue and
// of two HTTP hops, which no implementation of design.md's flow can avoid.
// Prints {"port":N} once listening. Usage: node bench/thin-gateway.ts <upstream origin>
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, Worker } from 'bullmq';
import { bullConnection } from '../queue/connection.ts';
import { keepCompleted } from '../queue/names.ts';
import { startRedisServer } from '../queue/redis-server.ts';

const upstream = new URL('/v1/chat/completions', process.argv[2]);
const dir = mkdtempSync(join(tmpdir(), 'gw-thin-'));
const redis = await startRedisServer({ dir, appendOnly: true });
const connection = bullConnection(redis.url);
const queue = new Queue('thin', { connection });
const agent = new Agent({ keepAlive: true, maxSockets: 1024 });
/** Answers by job id; undefined when the upstream call failed, so the request gets a 502 instead of hanging. */
const waiting = new Map<string, (answer: string | undefined) => void>();

function callUpstream(body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(upstream, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve(text));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const worker = new Worker(
  'thin',
  async (job) => {
    const answer = await callUpstream(job.data.body).catch(() => undefined);
    waiting.get(job.id!)?.(answer);
    return answer ?? null;
  },
  { connection, concurrency: 1000 },
);
await worker.waitUntilReady();

const server = createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => (body += chunk));
  req.on('end', async () => {
    const id = randomUUID();
    const answered = new Promise<string | undefined>((resolve) => waiting.set(id, resolve));
    await queue.add('message', { body }, { jobId: id, removeOnComplete: keepCompleted });
    const answer = await answered;
    waiting.delete(id);
    if (answer === undefined) res.writeHead(502).end();
    else res.writeHead(200, { 'content-type': 'application/json' }).end(answer);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`));
process.on('SIGTERM', async () => {
  server.close();
  await worker.close();
  await queue.close();
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
});
