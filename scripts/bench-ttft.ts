// Measures the time-to-first-token the gateway adds to a streamed answer: a fake provider streams with
// fixed delays; the same request goes to it directly and through the whole platform (HTTP adapter,
// queue, worker, Redis relay, SSE), and the difference is the gateway's overhead.
//
//   npm run bench:ttft -- [--requests 200] [--concurrency 1,10] [--first-token-ms 50] [--token-ms 5] [--tokens 20]
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { chunk, startFakeOpenAI } from '../test/fakes/fake-openai.ts';
import { startPlatformProcess } from './lib/platform-process.ts';

const positive = (name: string) => z.coerce.number({ error: `--${name} must be a positive number` }).positive({ error: `--${name} must be a positive number` });
const parsed = z
  .object({
    requests: positive('requests').default(200),
    concurrency: z.string().default('1,10').transform((value) => value.split(',').map(Number).filter((n) => n > 0)),
    'first-token-ms': positive('first-token-ms').default(50),
    'token-ms': positive('token-ms').default(5),
    tokens: positive('tokens').default(20),
  })
  .safeParse(
    parseArgs({
      options: { requests: { type: 'string' }, concurrency: { type: 'string' }, 'first-token-ms': { type: 'string' }, 'token-ms': { type: 'string' }, tokens: { type: 'string' } },
    }).values,
  );
if (!parsed.success) {
  process.stderr.write(`${parsed.error.issues.map((issue) => issue.message).join('\n')}\n`);
  process.exit(2);
}
const { requests, concurrency, 'first-token-ms': firstTokenMs, 'token-ms': tokenMs, tokens } = parsed.data;

const upstream = await startFakeOpenAI(async (_req, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  await sleep(firstTokenMs);
  for (let i = 0; i < tokens; i += 1) {
    if (i > 0) await sleep(tokenMs);
    res.write(`data: ${JSON.stringify(chunk({ content: `t${i} ` }))}\n\n`);
  }
  res.write(`data: ${JSON.stringify(chunk({}, { finishReason: 'stop', usage: { prompt_tokens: 5, completion_tokens: tokens } }))}\n\n`);
  res.end('data: [DONE]\n\n');
});
const platform = await startPlatformProcess({ OPENAI_API_KEY: 'sk-bench-0123456789', OPENAI_BASE_URL: upstream.baseURL, LOG_LEVEL: 'warn' });
const token = platform.token('bench');

/** Milliseconds until the first frame carrying content, and until the end. */
async function timeToFirstToken(url: string, authorization: string): Promise<{ ttft: number; total: number }> {
  const started = performance.now();
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization },
    body: JSON.stringify({ model: 'gpt-5-mini', messages: [{ role: 'user', content: 'Hello' }], stream: true }),
  });
  if (!response.ok || !response.body) throw new Error(`${url} answered ${response.status}`);
  const decoder = new TextDecoder();
  let buffer = '';
  let ttft = 0;
  for await (const bytes of response.body) {
    buffer += decoder.decode(bytes as Uint8Array, { stream: true });
    if (!ttft && /"content":"[^"]/.test(buffer)) ttft = performance.now() - started;
  }
  if (!ttft) throw new Error(`${url} streamed no content`);
  return { ttft, total: performance.now() - started };
}

async function run(url: string, authorization: string, count: number, parallel: number) {
  const results: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        next += 1;
        results.push((await timeToFirstToken(url, authorization)).ttft);
      }
    }),
  );
  return results.sort((a, b) => a - b);
}

const percentile = (values: number[], p: number) => values[Math.min(values.length - 1, Math.floor(p * values.length))] ?? NaN;
const direct = { url: `${upstream.baseURL}/chat/completions`, authorization: 'Bearer sk-bench-0123456789' };
const gateway = { url: `${platform.url}/v1/chat/completions`, authorization: `Bearer ${token}` };

// Warm both paths (connections, JIT, SDK clients) before measuring.
await run(direct.url, direct.authorization, 20, 2);
await run(gateway.url, gateway.authorization, 20, 2);

process.stdout.write(
  `TTFT benchmark: fake provider first token after ${firstTokenMs} ms, then ${tokens - 1} more every ${tokenMs} ms; ${requests} streamed requests per row\n`,
);
process.stdout.write('concurrency | direct p50 / p99 (ms) | gateway p50 / p99 (ms) | added p50 / p99 (ms)\n');
for (const parallel of concurrency) {
  const directTimes = await run(direct.url, direct.authorization, requests, parallel);
  const gatewayTimes = await run(gateway.url, gateway.authorization, requests, parallel);
  const [d50, d99, g50, g99] = [percentile(directTimes, 0.5), percentile(directTimes, 0.99), percentile(gatewayTimes, 0.5), percentile(gatewayTimes, 0.99)];
  const f = (n: number) => n.toFixed(1);
  process.stdout.write(`${String(parallel).padStart(11)} | ${f(d50)} / ${f(d99)} | ${f(g50)} / ${f(g99)} | ${f(g50 - d50)} / ${f(g99 - d99)}\n`);
}

await platform.stop();
await upstream.close();
