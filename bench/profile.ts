// `npm run bench:profile`: the platform's CPU time per request and its latency under one load, and
// optionally a V8 CPU profile of it, to find what stands in the way of the benchmark's targets.
//
//   npm run bench:profile -- [--rate 400 | --concurrency 20 | --sequential] [--duration 10] [--cpu-prof /tmp/prof] [--no-limits] [--env NAME=value ...]
//
// --rate: open loop at that many requests per second; --concurrency: that many always in flight;
// --sequential: one at a time. CPU time is the platform process's (user + kernel, every thread), read
// from /proc, so it holds whatever else shares the machine; latency is end to end through the platform.
// Rate limits are on (never refusing), as in `npm run bench`; --no-limits turns them off, to see their cost.
// --env sets a platform variable (repeatable), to measure a setting: --env WORKER_CONCURRENCY=50.
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { atRate, percentile, sequential, type LoadResult } from './load.ts';
import { cpuMs, startPlatform, startUpstream } from './processes.ts';

const options = z
  .object({
    rate: z.coerce.number().positive().optional(),
    concurrency: z.coerce.number().int().positive().optional(),
    sequential: z.boolean().default(false),
    duration: z.coerce.number().positive().default(10),
    'cpu-prof': z.string().optional(),
    'no-limits': z.boolean().default(false),
    env: z
      .array(z.string().regex(/^[A-Z][A-Z0-9_]*=/, { message: 'expected --env NAME=value' }))
      .default([])
      .transform((pairs) => Object.fromEntries(pairs.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]))),
  })
  .parse(
    parseArgs({
      options: {
        rate: { type: 'string' },
        concurrency: { type: 'string' },
        sequential: { type: 'boolean' },
        duration: { type: 'string' },
        'cpu-prof': { type: 'string' },
        'no-limits': { type: 'boolean' },
        env: { type: 'string', multiple: true },
      },
    }).values,
  );

const upstream = await startUpstream(20, 50, 5, 20);
const profileDir = options['cpu-prof'];
const platform = await startPlatform(upstream.origin, {
  ...(profileDir ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${profileDir}` } : {}),
  ...(options['no-limits'] ? { RATE_LIMIT_USER_RPM: '0', RATE_LIMIT_USER_TPM: '0' } : {}),
  ...options.env,
});
const target = { name: 'chat-gateway', url: `${platform.url}/v1/chat/completions`, headers: { authorization: `Bearer ${platform.token('bench')}` } };
const body = JSON.stringify({ model: 'gpt-5-mini', messages: [{ role: 'user', content: 'Hello' }] });
const durationMs = options.duration * 1000;

async function closedLoop(concurrency: number): Promise<LoadResult> {
  const started = performance.now();
  const results: LoadResult[] = [];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() - started < durationMs) results.push(await sequential(target, body, 10));
    }),
  );
  const latencies = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
  return { latencies, errors: results.reduce((sum, r) => sum + r.errors, 0), achievedRate: latencies.length / ((performance.now() - started) / 1000) };
}

await sequential(target, body, 200); // warm-up
const [cpu, kernel] = [cpuMs(platform.pid), cpuMs(platform.pid, 'system')];
const load = options.rate
  ? { name: `${options.rate} req/s open loop`, run: () => atRate(target, body, options.rate!, durationMs) }
  : options.concurrency
    ? { name: `${options.concurrency} in flight`, run: () => closedLoop(options.concurrency!) }
    : { name: 'sequential', run: () => closedLoop(1) };
const result = await load.run();
const perRequest = (now: number, before: number) => (((now - before) / result.latencies.length) * 1000).toFixed(0);
const ms = (p: number) => percentile(result.latencies, p).toFixed(2);

console.log(`${load.name}: ${result.achievedRate.toFixed(0)} req/s served, ${result.errors} errors`);
console.log(`  latency p50 ${ms(0.5)} ms, p90 ${ms(0.9)}, p99 ${ms(0.99)}, max ${result.latencies.at(-1)?.toFixed(2)} (upstream answers after 20 ms)`);
console.log(`  platform CPU ${perRequest(cpuMs(platform.pid), cpu)} µs per request, ${perRequest(cpuMs(platform.pid, 'system'), kernel)} of it in the kernel`);
await platform.stop();
upstream.stop();
if (profileDir) console.log(`  CPU profile written to ${profileDir}`);
