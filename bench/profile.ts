// Profiles the platform under a fixed load: `node bench/profile.ts [rate] [seconds] [dir]` (dir `-`: time only).
// Starts the lean upstream and the all-in-one platform with --cpu-prof, drives it open loop, stops it
// (the profile is written at exit) and prints the latency figures and where the .cpuprofile went.
import { atRate, percentile, sequential } from './load.ts';
import { cpuMs, startPlatform, startUpstream } from './processes.ts';

const [rate = 500, seconds = 10, dir = '/tmp/prof'] = process.argv.slice(2).map((v, i) => (i < 2 ? Number(v) : v)) as [number, number, string];
if (dir !== '-') process.env.NODE_OPTIONS = `--cpu-prof --cpu-prof-dir=${dir}`;
const upstream = await startUpstream(20, 50, 5, 20);
const platform = await startPlatform(upstream.origin);
delete process.env.NODE_OPTIONS;
const target = { name: 'gw', url: `${platform.url}/v1/chat/completions`, headers: { authorization: `Bearer ${platform.token('bench')}` } };
const body = JSON.stringify({ model: 'gpt-5-mini', messages: [{ role: 'user', content: 'Hello' }] });
await sequential(target, body, 200);
const cpuBefore = cpuMs(platform.pid);
const systemBefore = cpuMs(platform.pid, 'system');
// rate > 0: open loop at that rate; 0: one at a time; < 0: -rate requests always in flight (closed loop).
const result = rate > 0 ? await atRate(target, body, rate, seconds * 1000) : rate === 0 ? await sequential(target, body, seconds * 100) : await closedLoop(-rate);
async function closedLoop(concurrency: number) {
  const results = await Promise.all(Array.from({ length: concurrency }, () => sequential(target, body, Math.ceil((seconds * 300) / concurrency))));
  const latencies = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const errors = results.reduce((sum, r) => sum + r.errors, 0);
  return { latencies, errors, achievedRate: results.reduce((sum, r) => sum + r.achievedRate, 0) };
}
const ms = (p: number) => percentile(result.latencies, p).toFixed(2);
const cpuPerRequest = (cpuMs(platform.pid) - cpuBefore) / result.latencies.length;
const systemPerRequest = (cpuMs(platform.pid, 'system') - systemBefore) / result.latencies.length;
console.log(`cpu ${(cpuPerRequest * 1000).toFixed(0)} µs/request (${(systemPerRequest * 1000).toFixed(0)} in the kernel); rate ${rate}: p50 ${ms(0.5)} p90 ${ms(0.9)} p99 ${ms(0.99)} max ${result.latencies.at(-1)?.toFixed(2)} errors ${result.errors} achieved ${result.achievedRate.toFixed(0)}`);
await platform.stop();
upstream.stop();
if (dir !== '-') console.log(`profiles in ${dir}`);
