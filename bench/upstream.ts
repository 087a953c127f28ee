// A lean fake OpenAI-compatible upstream for benchmarks, in its own process so it does not share an
// event loop with the load generator. It answers after the same fixed latency whether asked to stream
// or not (a real model takes as long either way, and the gateway streams from providers even for
// clients that do not), except for the model `ttft-bench`, which streams its first token after a
// delay and the rest at a steady pace, for time-to-first-token measurements.
// Prints {"port":N} once listening. Usage: node bench/upstream.ts <latencyMs> <firstTokenMs> <tokenMs> <tokens>
import { createServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

const [latencyMs = 20, firstTokenMs = 50, tokenMs = 5, tokens = 20] = process.argv.slice(2).map(Number);
const completion = JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: 1_700_000_000,
  model: 'gpt-5-mini',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hello from the benchmark upstream.' }, finish_reason: 'stop', logprobs: null }],
  usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 },
});
const chunk = (delta: object, finish: string | null = null, usage?: object) =>
  `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'gpt-5-mini', choices: usage ? [] : [{ index: 0, delta, finish_reason: finish }], ...(usage ? { usage } : {}) })}\n\n`;

const server = createServer((req, res) => {
  let body = '';
  req.on('data', (data: Buffer) => (body += data));
  req.on('end', async () => {
    const stream = body.includes('"stream":true');
    if (!body.includes('"model":"ttft-bench"')) {
      await sleep(latencyMs);
      if (!stream) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(completion);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(chunk({ content: 'Hello from the benchmark upstream.' }));
      res.write(chunk({}, 'stop'));
      res.write(chunk({}, null, { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 }));
      res.end('data: [DONE]\n\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    await sleep(firstTokenMs);
    for (let i = 0; i < tokens; i += 1) {
      if (i > 0) await sleep(tokenMs);
      res.write(chunk({ content: `t${i} ` }));
    }
    res.write(chunk({}, 'stop'));
    res.write(chunk({}, null, { prompt_tokens: 5, completion_tokens: tokens, total_tokens: 5 + tokens }));
    res.end('data: [DONE]\n\n');
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
});
