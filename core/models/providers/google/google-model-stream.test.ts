import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import {
  functionCallPart,
  geminiResponse,
  replyError,
  replyGenerate,
  replyStream,
  replyWith,
  usageMetadata,
  useFakeGemini,
} from '../../../../test/fakes/fake-gemini.ts';
import type { ModelMessage, StreamPart } from '../../language-model.ts';

const gemini = useFakeGemini();

const prompt: ModelMessage[] = [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }];

async function collect(stream: AsyncIterable<StreamPart>) {
  const parts: StreamPart[] = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

/** A middle chunk: content only, no finishReason, no usage. */
const chunk = (parts: unknown[]) => geminiResponse({ parts, finishReason: null, usage: null });

describe('GoogleModel.doStream', () => {
  it('streams text from :streamGenerateContent?alt=sse and finishes with the last usage', async () => {
    gemini.fake.reply(
      replyStream([
        chunk([{ text: 'Hel' }]),
        chunk([{ text: 'lo!' }]),
        geminiResponse({ parts: [{ text: '' }], usage: { prompt: 3, candidates: 2 } }),
      ]),
    );
    const { stream } = await gemini.model.doStream({ prompt, temperature: 0 });

    expect(await collect(stream)).toEqual([
      { type: 'response-metadata', id: 'resp-fake-1', modelId: 'gemini-2.5-flash' },
      { type: 'text-start', id: 'text-0' },
      { type: 'text-delta', id: 'text-0', delta: 'Hel' },
      { type: 'text-delta', id: 'text-0', delta: 'lo!' },
      { type: 'text-end', id: 'text-0' },
      { type: 'finish', finishReason: 'stop', usage: { inputTokens: 3, outputTokens: 2 } },
    ]);
    const request = gemini.fake.last!;
    expect(request.url).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
    expect(request.url).not.toContain(gemini.fake.apiKey);
    expect(request.headers['x-goog-api-key']).toBe(gemini.fake.apiKey);
    expect(request.body).toEqual({ contents: [{ role: 'user', parts: [{ text: 'Hi' }] }], generationConfig: { temperature: 0 } });
  });

  it('frames each whole function call as start/delta/end/tool-call with indexes, and the same ids as doGenerate', async () => {
    const calls = [functionCallPart('get_weather', { city: 'Paris' }), functionCallPart('get_weather', { city: 'Rome' })];
    gemini.fake.reply(
      replyStream([
        chunk([{ text: 'Checking.' }]),
        chunk([calls[0]]),
        geminiResponse({ parts: [calls[1]], usage: { prompt: 20, candidates: 12 } }),
      ]),
    );
    const parts = await collect((await gemini.model.doStream({ prompt, tools: [{ name: 'get_weather', inputSchema: { type: 'object', properties: { city: { type: 'string' } } } }] })).stream);

    const paris = `call_${createHash('sha256').update('0:get_weather:{"city":"Paris"}').digest('hex').slice(0, 24)}`;
    const rome = `call_${createHash('sha256').update('1:get_weather:{"city":"Rome"}').digest('hex').slice(0, 24)}`;
    expect(parts.slice(1)).toEqual([
      { type: 'text-start', id: 'text-0' },
      { type: 'text-delta', id: 'text-0', delta: 'Checking.' },
      { type: 'tool-input-start', id: paris, toolName: 'get_weather', index: 0 },
      { type: 'tool-input-delta', id: paris, delta: '{"city":"Paris"}' },
      { type: 'tool-input-end', id: paris },
      { type: 'tool-call', toolCallId: paris, toolName: 'get_weather', input: '{"city":"Paris"}' },
      { type: 'tool-input-start', id: rome, toolName: 'get_weather', index: 1 },
      { type: 'tool-input-delta', id: rome, delta: '{"city":"Rome"}' },
      { type: 'tool-input-end', id: rome },
      { type: 'tool-call', toolCallId: rome, toolName: 'get_weather', input: '{"city":"Rome"}' },
      { type: 'text-end', id: 'text-0' },
      { type: 'finish', finishReason: 'tool-calls', usage: { inputTokens: 20, outputTokens: 12 } },
    ]);

    // The same answer without streaming gets the same ids, so a retry without streaming pairs results alike.
    gemini.fake.reply(replyGenerate(geminiResponse({ parts: [{ text: 'Checking.' }, ...calls] })));
    const generated = await gemini.model.doGenerate({ prompt });
    expect(generated.content.flatMap((part) => (part.type === 'tool-call' ? [part.toolCallId] : []))).toEqual([paris, rome]);
  });

  it("reads Google's \\r\\n line endings and events split across network writes", async () => {
    gemini.fake.reply(replyStream([chunk([{ text: 'one ' }]), geminiResponse({ parts: [{ text: 'two' }] })], { crlf: true }));
    const crlf = await collect((await gemini.model.doStream({ prompt })).stream);
    expect(crlf.filter((part) => part.type === 'text-delta').map((part) => part.delta)).toEqual(['one ', 'two']);
    expect(crlf.at(-1)).toMatchObject({ type: 'finish', finishReason: 'stop' });

    const text = `data: ${JSON.stringify(geminiResponse({ parts: [{ text: 'split' }] }))}\r\n\r\n`;
    gemini.fake.reply(
      replyWith(async (_request, response) => {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        for (const piece of [text.slice(0, 17), text.slice(17, -3), text.slice(-3, -1), text.slice(-1)]) {
          response.write(piece);
          await sleep(15);
        }
        response.end();
      }),
    );
    const split = await collect((await gemini.model.doStream({ prompt })).stream);
    expect(split.filter((part) => part.type === 'text-delta')).toEqual([{ type: 'text-delta', id: 'text-0', delta: 'split' }]);
    expect(split.at(-1)).toMatchObject({ type: 'finish', finishReason: 'stop' });
  });

  it('reports thinking and cached tokens from the last chunk that had usage', async () => {
    gemini.fake.reply(
      replyStream([
        { ...chunk([{ text: 'thinking...', thought: true }]), usageMetadata: usageMetadata({ prompt: 900, candidates: 0, thoughts: 40 }) },
        { ...chunk([{ text: 'Seven.' }]), usageMetadata: usageMetadata({ prompt: 900, candidates: 2, thoughts: 60, cached: 512 }) },
        geminiResponse({ finishReason: 'STOP', usage: null }),
      ]),
    );
    const parts = await collect((await gemini.model.doStream({ prompt })).stream);
    expect(parts.filter((part) => part.type === 'text-delta').map((part) => part.delta)).toEqual(['Seven.']);
    expect(parts.at(-1)).toEqual({
      type: 'finish',
      finishReason: 'stop',
      usage: { inputTokens: 900, outputTokens: 62, reasoningTokens: 60, cachedInputTokens: 512 },
    });
  });

  it('maps SAFETY and a blocked prompt to content-filter', async () => {
    gemini.fake.reply(replyStream([chunk([{ text: 'Well' }]), geminiResponse({ finishReason: 'SAFETY' })]));
    expect((await collect((await gemini.model.doStream({ prompt })).stream)).at(-1)).toMatchObject({ type: 'finish', finishReason: 'content-filter' });

    gemini.fake.reply(replyStream([{ promptFeedback: { blockReason: 'SAFETY' }, usageMetadata: { promptTokenCount: 4 }, responseId: 'r2' }]));
    expect(await collect((await gemini.model.doStream({ prompt })).stream)).toEqual([
      { type: 'response-metadata', id: 'r2' },
      { type: 'finish', finishReason: 'content-filter', usage: { inputTokens: 4, outputTokens: 0 } },
    ]);
  });

  it('ends a stream cut mid-way with an error part, never a finish', async () => {
    gemini.fake.reply(replyStream([chunk([{ text: 'Hel' }]), chunk([{ text: 'lo' }]), geminiResponse({ parts: [{ text: '!' }] })], { cutAfter: 2, delayMs: 10 }));
    const parts = await collect((await gemini.model.doStream({ prompt })).stream);
    expect(parts.map((part) => part.type)).toEqual(['response-metadata', 'text-start', 'text-delta', 'text-delta', 'error']);
    const last = parts.at(-1);
    if (last?.type !== 'error') throw new Error('expected an error part');
    expect(last.error).toMatchObject({ code: 'provider_error', retryable: true });
    expect(last.error.message).toMatch(/ended before it finished/);
  });

  it('ends a stream that closes cleanly without a finishReason with an error part', async () => {
    gemini.fake.reply(replyStream([chunk([{ text: 'Hello' }])]));
    const parts = await collect((await gemini.model.doStream({ prompt })).stream);
    expect(parts.map((part) => part.type)).toEqual(['response-metadata', 'text-start', 'text-delta', 'error']);
    expect(parts.at(-1)).toMatchObject({ error: { code: 'provider_error', message: expect.stringMatching(/ended before it finished/) } });
  });

  it('turns a malformed chunk into an error part, or a rejection when it is the first event', async () => {
    gemini.fake.reply(replyStream([chunk([{ text: 'ok' }]), '{"candidates": [', geminiResponse({ parts: [{ text: 'never' }] })]));
    const parts = await collect((await gemini.model.doStream({ prompt })).stream);
    expect(parts.map((part) => part.type)).toEqual(['response-metadata', 'text-start', 'text-delta', 'error']);
    expect(parts.at(-1)).toMatchObject({ error: { code: 'provider_error', message: expect.stringMatching(/malformed stream chunk/) } });

    gemini.fake.reply(replyStream(['not json at all']));
    await expect(gemini.model.doStream({ prompt })).rejects.toMatchObject({ code: 'provider_error', retryable: true });
  });

  it('turns an error Google sends inside the stream into an error part with its code', async () => {
    const overloaded = { error: { code: 503, message: 'The model is overloaded. Please try again later.', status: 'UNAVAILABLE' } };
    gemini.fake.reply(replyStream([chunk([{ text: 'Hi' }]), overloaded]));
    const parts = await collect((await gemini.model.doStream({ prompt })).stream);
    expect(parts.at(-1)).toMatchObject({
      type: 'error',
      error: { code: 'provider_error', retryable: true, statusCode: 503, message: expect.stringContaining('overloaded') },
    });
  });

  it('rejects doStream on an error status, before any part', async () => {
    gemini.fake.reply(replyError(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded.', { headers: { 'retry-after': '3' } }));
    await expect(gemini.model.doStream({ prompt })).rejects.toMatchObject({ code: 'provider_rate_limited', retryAfterMs: 3000 });
  });

  it('resolves doStream only once the first event has arrived', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    gemini.fake.reply(
      replyWith(async (_request, response) => {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.write(': keep-alive comment\n\n');
        await released;
        response.end(`data: ${JSON.stringify(geminiResponse({ parts: [{ text: 'late' }] }))}\n\n`);
      }),
    );
    let settled = false;
    const started = gemini.model.doStream({ prompt }).finally(() => (settled = true));
    await sleep(150);
    expect(settled).toBe(false);
    release();
    const parts = await collect((await started).stream);
    expect(parts.at(-1)).toMatchObject({ type: 'finish', finishReason: 'stop' });
  });

  it('rethrows the abort reason, before the first event and mid-stream', async () => {
    gemini.fake.reply(replyWith(() => new Promise<void>(() => {})));
    const early = new AbortController();
    const pending = gemini.model.doStream({ prompt, abortSignal: early.signal });
    setTimeout(() => early.abort(new Error('user left')), 50);
    await expect(pending).rejects.toThrow('user left');

    gemini.fake.reply(replyStream([chunk([{ text: 'a' }]), chunk([{ text: 'b' }]), geminiResponse({ parts: [{ text: 'c' }] })], { delayMs: 200 }));
    const late = new AbortController();
    const reason = new Error('stop now');
    const { stream } = await gemini.model.doStream({ prompt, abortSignal: late.signal });
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const part of stream) {
          seen.push(part.type);
          if (part.type === 'text-delta') late.abort(reason);
        }
      })(),
    ).rejects.toBe(reason);
    expect(seen).not.toContain('finish');
    expect(seen).not.toContain('error');
  });
});
