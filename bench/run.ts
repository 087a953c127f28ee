// `npm run bench`: the gateway's added latency, throughput, time to first token and memory, measured in
// one run beside a peer gateway (Portkey's, from npm) against the same fake upstream.
//
//   npm run bench -- [--latency 20] [--duration 10] [--rates 100,500,1000] [--requests 500]
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { atRate, percentile, post, sequential, type LoadResult, type Target } from './load.ts';
import { cpuMs, rssMiB, startPlatform, startPortkey, startThinGateway, startUpstream } from './processes.ts';

const list = (fallback: string) => z.string().default(fallback).transform((value) => value.split(',').map(Number).filter((n) => n > 0));
const options = z
  .object({
    latency: z.coerce.number().nonnegative().default(20),
    duration: z.coerce.number().positive().default(10),
    rates: list('100,500,1000'),
    'max-rates': list('500,750,1000,1250,1500,2000,2500,3000'),
    requests: z.coerce.number().int().positive().default(500),
  })
  .parse(
    parseArgs({
      options: { latency: { type: 'string' }, duration: { type: 'string' }, rates: { type: 'string' }, 'max-rates': { type: 'string' }, requests: { type: 'string' } },
    }).values,
  );

const body = JSON.stringify({ model: 'gpt-5-mini', messages: [{ role: 'user', content: 'Hello' }] });
const streamBody = (model: string) => JSON.stringify({ model, messages: [{ role: 'user', content: 'Hello' }], stream: true });
const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(2) : '-');
const print = (line = '') => process.stdout.write(`${line}\n`);

const upstream = await startUpstream(options.latency, 50, 5, 20);
const platform = await startPlatform(upstream.origin);
const portkey = await startPortkey();
const floor = await startThinGateway(upstream.origin);

const direct: Target = { name: 'direct', url: `${upstream.origin}/v1/chat/completions`, headers: { authorization: 'Bearer sk-bench-0123456789' } };
// `floor` is bench/thin-gateway.ts: the queue and two HTTP hops with no pipeline, what any gateway built
// as design.md says (every message a BullMQ job) pays before doing anything; it does not stream.
const gateways: { target: Target; pid: number; streams: boolean }[] = [
  { target: { name: 'chat-gateway', url: `${platform.url}/v1/chat/completions`, headers: { authorization: `Bearer ${platform.token('bench')}` } }, pid: platform.pid, streams: true },
  {
    target: {
      name: 'portkey',
      url: `${portkey.origin}/v1/chat/completions`,
      headers: { authorization: 'Bearer sk-bench-0123456789', 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `${upstream.origin}/v1` },
    },
    pid: portkey.pid,
    streams: true,
  },
  { target: { name: 'floor', url: `${floor.origin}/v1/chat/completions`, headers: {} }, pid: floor.pid, streams: false },
];

/** Samples a process's resident memory while `work` runs; returns the peak. */
async function peakRss<T>(pid: number, work: () => Promise<T>): Promise<{ value: T; peak: number }> {
  let peak = rssMiB(pid);
  const timer = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 100);
  const value = await work();
  clearInterval(timer);
  return { value, peak: Math.max(peak, rssMiB(pid)) };
}

/** Runs a load against a gateway, keeping its peak memory and its own CPU time per request answered. */
async function measure(gateway: (typeof gateways)[number], load: () => Promise<LoadResult>): Promise<LoadResult> {
  const cpuBefore = cpuMs(gateway.pid);
  const { value, peak } = await peakRss(gateway.pid, load);
  const entry = memory.get(gateway.target.name)!;
  entry.peak = Math.max(entry.peak, peak);
  entry.cpu.push(ms((cpuMs(gateway.pid) - cpuBefore) / Math.max(1, value.latencies.length)));
  return value;
}

const added = (gateway: LoadResult, base: LoadResult, p: number) => percentile(gateway.latencies, p) - percentile(base.latencies, p);
const summary = (gateway: LoadResult, base: LoadResult) =>
  `${ms(added(gateway, base, 0.5))} / ${ms(added(gateway, base, 0.99))} / ${ms(gateway.latencies.at(-1)! - base.latencies.at(-1)!)}`;

print(`Benchmark: upstream answers after ${options.latency} ms; ${options.requests} sequential requests, ${options.duration} s at each fixed rate (open loop).`);
print('Added latency is the gateway\'s percentile minus the direct call\'s at the same load, in ms.');
print();

// Warm every path: connections, JIT, SDK clients.
for (const target of [direct, ...gateways.map((g) => g.target)]) await sequential(target, body, 200);
const memory = new Map(gateways.map((g) => [g.target.name, { idle: rssMiB(g.pid), peak: 0, after: [] as number[], cpu: [] as string[] }]));

const rows: string[][] = [['load', 'direct p50 / p99', ...gateways.map((g) => `${g.target.name} added p50 / p99 / max`)]];
const baseSeq = await sequential(direct, body, options.requests);
const seqRow = ['sequential', `${ms(percentile(baseSeq.latencies, 0.5))} / ${ms(percentile(baseSeq.latencies, 0.99))}`];
for (const gateway of gateways) {
  const value = await measure(gateway, () => sequential(gateway.target, body, options.requests));
  seqRow.push(`${summary(value, baseSeq)}${value.errors ? ` (${value.errors} errors)` : ''}`);
}
rows.push(seqRow);

for (const rate of options.rates) {
  const base = await atRate(direct, body, rate, options.duration * 1000);
  const row = [`${rate} req/s`, `${ms(percentile(base.latencies, 0.5))} / ${ms(percentile(base.latencies, 0.99))}`];
  for (const gateway of gateways) {
    const value = await measure(gateway, () => atRate(gateway.target, body, rate, options.duration * 1000));
    row.push(`${summary(value, base)}${value.errors ? ` (${value.errors} errors)` : ''}${value.achievedRate < rate * 0.95 ? ` (only ${value.achievedRate.toFixed(0)} req/s)` : ''}`);
    await sleep(2000);
    memory.get(gateway.target.name)!.after.push(rssMiB(gateway.pid));
  }
  rows.push(row);
}
print(table(rows));
print();
print(`CPU time per request answered, in ms, each gateway's own process (its Redis not counted), at: sequential, ${options.rates.map((rate) => `${rate} req/s`).join(', ')}:`);
for (const [name, { cpu }] of memory) print(`  ${name.padEnd(12)} ${cpu.join(', ')}`);
print();

// The highest rate each gateway sustains for a few seconds with p99 added latency under 10 ms and no errors.
print('Highest sustained rate with p99 added latency < 10 ms and no errors (5 s per step):');
for (const gateway of gateways) {
  let best = 0;
  for (const rate of options['max-rates']) {
    const base = await atRate(direct, body, rate, 5000);
    const result = await atRate(gateway.target, body, rate, 5000);
    const ok = result.errors === 0 && result.achievedRate >= rate * 0.95 && added(result, base, 0.99) < 10;
    print(`  ${gateway.target.name.padEnd(12)} ${String(rate).padStart(5)} req/s: added p99 ${ms(added(result, base, 0.99))} ms, ${result.errors} errors, ${result.achievedRate.toFixed(0)} req/s achieved ${ok ? 'ok' : 'FAIL'}`);
    if (!ok) break;
    best = rate;
    await sleep(1000);
  }
  print(`  ${gateway.target.name}: ${best ? `${best} req/s` : `below ${options['max-rates'][0]} req/s`}`);
}
print();

// Time to first token on a stream: the first content byte, direct and through each gateway, one stream at
// a time and ten at once.
async function firstToken(target: Target, model: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(target.url, { method: 'POST', headers: { 'content-type': 'application/json', ...target.headers }, body: streamBody(model) });
  const decoder = new TextDecoder();
  let text = '';
  let first = 0;
  for await (const bytes of response.body!) {
    text += decoder.decode(bytes as Uint8Array, { stream: true });
    if (!first && /"content":"[^"]/.test(text)) first = performance.now() - started;
  }
  return first;
}
async function ttft(target: Target, model: string, count: number, parallel: number) {
  const times: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        next += 1;
        times.push(await firstToken(target, model));
      }
    }),
  );
  return times.sort((a, b) => a - b);
}
print('Streaming time to first token (upstream: first token after 50 ms, then 19 more every 5 ms), 100 streams per row:');
for (const parallel of [1, 10]) {
  // Our gateway is asked for `openai/ttft-bench`, a provider/model name; the others pass the name through.
  const base = await ttft(direct, 'ttft-bench', 100, parallel);
  print(`  ${parallel === 1 ? 'one at a time' : `${parallel} at once`}: direct p50 ${ms(percentile(base, 0.5))} ms, p99 ${ms(percentile(base, 0.99))} ms`);
  for (const gateway of gateways.filter((g) => g.streams)) {
    const times = await ttft(gateway.target, gateway.target.name === 'chat-gateway' ? 'openai/ttft-bench' : 'ttft-bench', 100, parallel);
    print(`    ${gateway.target.name.padEnd(12)} added p50 ${ms(percentile(times, 0.5) - percentile(base, 0.5))} ms, p99 ${ms(percentile(times, 0.99) - percentile(base, 0.99))} ms`);
  }
}
print();

print('Resident memory (MiB): idle before load, peak under load, after each fixed-rate run:');
for (const [name, { idle, peak, after }] of memory) print(`  ${name.padEnd(12)} idle ${idle.toFixed(0)}, peak ${peak.toFixed(0)}, after ${after.map((v) => v.toFixed(0)).join(' → ')}`);

// A last sanity check that both gateways still answer, then stop everything.
for (const gateway of gateways) if ((await post(gateway.target, body)) !== 200) print(`  ${gateway.target.name} no longer answers!`);
await platform.stop();
portkey.stop();
floor.stop();
upstream.stop();

function table(data: string[][]): string {
  const widths = data[0]!.map((_, column) => Math.max(...data.map((row) => row[column]?.length ?? 0)));
  return data.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')).join('\n');
}
