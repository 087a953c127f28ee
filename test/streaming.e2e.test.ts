import { setTimeout as sleep } from 'node:timers/promises';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../core/store/embedded/sqlite-store.ts';
import { chunk, startFakeOpenAI, streamChunks } from './fakes/fake-openai.ts';
import type { FakeHandler, FakeServer } from './fakes/fake-server.ts';
import { startPlatformProcess, type PlatformProcess } from './helpers/platform.ts';
import { waitUntil } from './helpers/processes.ts';
import { join } from 'node:path';

/** Streaming through the whole platform: client → HTTP adapter → queue → worker → fake provider, and back through Redis. */
let upstream: FakeServer & { baseURL: string };
let platform: PlatformProcess;
let client: OpenAI;
let token: string;

const usage = { prompt_tokens: 9, completion_tokens: 3, prompt_tokens_details: { cached_tokens: 4 } };
const hello: FakeHandler = (_req, res) =>
  streamChunks(res, [
    chunk({ role: 'assistant', content: '' }),
    chunk({ content: 'Hel' }),
    chunk({ content: 'lo!' }),
    chunk({}, { finishReason: 'stop' }),
    chunk(null, { usage }),
  ]);

beforeAll(async () => {
  upstream = await startFakeOpenAI(hello);
  platform = await startPlatformProcess({ OPENAI_API_KEY: 'sk-upstream-key-12345678', OPENAI_BASE_URL: upstream.baseURL });
  token = platform.token('erin');
  client = new OpenAI({ apiKey: token, baseURL: `${platform.url}/v1`, maxRetries: 0 });
}, 60_000);
afterAll(async () => {
  await platform?.stop();
  await upstream?.close();
});
beforeEach(() => upstream.handle(hello));

/** The request log's newest entry, once it has `status` (it is written as the job ends), or after 3 s. */
async function newestRequest(status: string) {
  const store = new SqliteStore(join(platform.dataDir, 'gateway.db'));
  let entry: Awaited<ReturnType<typeof store.listRequests>>[number] | undefined;
  for (let waited = 0; waited < 3000 && entry?.status !== status; waited += 50) {
    [entry] = await store.listRequests({ limit: 1 });
    await sleep(50);
  }
  await store.close();
  return entry;
}

const ask = (extra: Record<string, unknown> = {}) =>
  fetch(`${platform.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ model: 'default', messages: [{ role: 'user', content: 'Hi' }], stream: true, ...extra }),
  });

describe('streaming chat completions', () => {
  it('works with the official client’s stream iterator, usage included when asked', async () => {
    const stream = await client.chat.completions.create({
      model: 'default',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const part of stream) chunks.push(part);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Hello!');
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks.at(-1)?.usage).toEqual({ prompt_tokens: 9, completion_tokens: 3, total_tokens: 12, prompt_tokens_details: { cached_tokens: 4 } });
    expect(new Set(chunks.map((c) => c.model))).toEqual(new Set(['openai/gpt-5-mini']));
  });

  it('sends OpenAI’s exact wire bytes, and strips usage the client did not ask for (though the provider was asked)', async () => {
    const response = await ask();
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const text = await response.text();
    expect(upstream.requests.at(-1)?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    const first = JSON.parse(text.slice('data: '.length, text.indexOf('\n'))) as { id: string; created: number };
    const frame = (choice: object) =>
      `data: ${JSON.stringify({ id: first.id, object: 'chat.completion.chunk', created: first.created, model: 'openai/gpt-5-mini', choices: [choice] })}\n\n`;
    expect(first.id).toMatch(/^chatcmpl-[0-9a-f-]{36}$/);
    expect(text).toBe(
      frame({ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }) +
        frame({ index: 0, delta: { content: 'Hel' }, logprobs: null, finish_reason: null }) +
        frame({ index: 0, delta: { content: 'lo!' }, logprobs: null, finish_reason: null }) +
        frame({ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }) +
        'data: [DONE]\n\n',
    );
  });

  it('streams tool calls with their index, for the client to run and answer', async () => {
    upstream.handle((_req, res) =>
      streamChunks(res, [
        chunk({ tool_calls: [{ index: 0, id: 'call_w', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
        chunk({ tool_calls: [{ index: 1, id: 'call_t', type: 'function', function: { name: 'get_time', arguments: '{}' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '"Oslo"}' } }] }),
        chunk({}, { finishReason: 'tool_calls' }),
        chunk(null, { usage }),
      ]),
    );
    const tools = [
      { type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
      { type: 'function' as const, function: { name: 'get_time' } },
    ];
    const runner = client.chat.completions.stream({ model: 'default', messages: [{ role: 'user', content: 'Weather and time?' }], tools });
    const completion = await runner.finalChatCompletion();
    expect(upstream.requests.at(-1)?.body).toMatchObject({
      tools: [{ type: 'function', function: { name: 'get_weather' } }, { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: {} } } }],
    });
    expect(completion.choices[0]?.finish_reason).toBe('tool_calls');
    // The client stitched the interleaved argument deltas by index: each call got only its own.
    expect(completion.choices[0]?.message.tool_calls).toEqual([
      { id: 'call_w', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
      { id: 'call_t', type: 'function', function: { name: 'get_time', arguments: '{}' } },
    ]);

    // The client runs the tools and sends their results back; the provider sees the whole turn.
    upstream.handle(hello);
    await client.chat.completions.create({
      model: 'default',
      messages: [
        { role: 'user', content: 'Weather and time?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_w', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }] },
        { role: 'tool', tool_call_id: 'call_w', content: 'sunny' },
      ],
      tools,
    });
    expect(upstream.requests.at(-1)?.body).toMatchObject({
      messages: [
        { role: 'user', content: 'Weather and time?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_w', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }] },
        { role: 'tool', tool_call_id: 'call_w', content: 'sunny' },
      ],
    });
  });

  it('answers non-SSE streams as newline-delimited JSON over chunked transfer encoding', async () => {
    const response = await fetch(`${platform.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, accept: 'application/x-ndjson' },
      body: JSON.stringify({ model: 'default', messages: [{ role: 'user', content: 'Hi' }], stream: true }),
    });
    expect(response.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    expect(response.headers.get('transfer-encoding')).toBe('chunked');
    const lines = (await response.text()).trimEnd().split('\n').map((line) => JSON.parse(line) as { choices: { delta: { content?: string } }[] });
    expect(lines.map((line) => line.choices[0]?.delta.content ?? '').join('')).toBe('Hello!');
  });

  it('streams legacy text completions', async () => {
    const stream = await client.completions.create({ model: 'default', prompt: 'Say hi', stream: true });
    let text = '';
    for await (const part of stream) text += part.choices[0]?.text ?? '';
    expect(text).toBe('Hello!');
  });

  it('ends a stream cut upstream with an error event, never a clean finish, and records the job as failed', async () => {
    upstream.handle((_req, res) => streamChunks(res, [chunk({ content: 'Half an ' }), chunk({ content: 'answer' }), chunk({}, { finishReason: 'stop' })], { cutAfter: 1 }));
    const response = await ask();
    const text = await response.text();
    expect(text).toMatch(/^data: .*"content":"Half an "/m);
    expect(text).not.toContain('[DONE]');
    const last = JSON.parse(text.trimEnd().split('\n\n').at(-1)?.slice('data: '.length) ?? '{}') as { error: Record<string, unknown> };
    expect(last.error).toMatchObject({ code: 'provider_error', type: 'api_error', param: null });
    expect(last.error.message).toContain('the stream was cut mid-way');
    // Recorded as failed, not as answered: the request log says so.
    expect(await newestRequest('error')).toMatchObject({ status: 'error', errorCode: 'provider_error' });

    const stream = await client.chat.completions.create({ model: 'default', messages: [{ role: 'user', content: 'Hi' }], stream: true });
    await expect((async () => {
      for await (const _ of stream) void _;
    })()).rejects.toThrow(/cut mid-way/);
  });

  it('cancels the job when the client goes away: the provider sees its connection closed, and the job is recorded as cancelled', async () => {
    let upstreamClosedAt = 0;
    let sent = 0;
    upstream.handle(async (_req, res) => {
      res.on('close', () => (upstreamClosedAt ||= Date.now()));
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (let i = 0; i < 100 && !res.destroyed; i += 1) {
        res.write(`data: ${JSON.stringify(chunk({ content: `token${i} ` }))}\n\n`);
        sent += 1;
        await sleep(50);
      }
      res.end();
    });
    const response = await ask({ messages: [{ role: 'user', content: 'a long answer please' }] });
    const reader = response.body!.getReader();
    await reader.read();
    const abortedAt = Date.now();
    await reader.cancel();
    expect(await waitUntil(() => upstreamClosedAt > 0, 5000)).toBe(true);
    console.log(`provider connection closed ${upstreamClosedAt - abortedAt} ms after the client went away (${sent} of 100 chunks sent)`);
    expect(sent).toBeLessThan(60);

    expect(await newestRequest('cancelled')).toMatchObject({ status: 'cancelled', errorCode: 'cancelled' });
  });
});
