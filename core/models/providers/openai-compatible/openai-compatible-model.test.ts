import { afterEach, describe, expect, it } from 'vitest';
import { chunk, completion, openAIError, startFakeOpenAI, streamChunks } from '../../../../test/fakes/fake-openai.ts';
import { sendJson } from '../../../../test/fakes/fake-server.ts';
import { user } from '../../../../test/helpers/prompts.ts';
import { collectStream } from '../../collect-stream.ts';
import type { CallOptions, StreamPart } from '../../language-model.ts';
import { OpenAICompatibleModel, type OpenAICompatibleSettings } from './openai-compatible-model.ts';

const apiKey = 'sk-test-key-0123456789abcdef';
const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function setup(handler: Parameters<typeof startFakeOpenAI>[0], settings: Partial<OpenAICompatibleSettings> = {}) {
  const fake = await startFakeOpenAI(handler);
  servers.push(fake);
  const model = new OpenAICompatibleModel({ provider: 'openai', modelId: 'gpt-test', baseURL: fake.baseURL, apiKey, ...settings });
  return { fake, model };
}

const weatherTool = { name: 'get_weather', description: 'Weather for a city', inputSchema: { type: 'object', properties: { city: { type: 'string' } } } };

async function parts(model: OpenAICompatibleModel, options: CallOptions) {
  const collected: StreamPart[] = [];
  for await (const part of (await model.doStream(options)).stream) collected.push(part);
  return collected;
}

const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error as Record<string, unknown>);

describe('OpenAICompatibleModel', () => {
  it('sends the system prompt and settings, and returns text with usage', async () => {
    const { fake, model } = await setup((_req, res) =>
      sendJson(res, 200, completion({ content: 'Hello!', usage: { prompt_tokens: 12, completion_tokens: 3, prompt_tokens_details: { cached_tokens: 8 }, completion_tokens_details: { reasoning_tokens: 2 } } })),
    );
    const result = await model.doGenerate({
      prompt: [{ role: 'system', content: 'Be kind.' }, user('Hi')],
      temperature: 0.2,
      maxOutputTokens: 50,
      stopSequences: ['END'],
    });
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]).toMatchObject({ method: 'POST', url: '/v1/chat/completions', headers: { authorization: `Bearer ${apiKey}` } });
    expect(fake.requests[0]?.body).toEqual({
      model: 'gpt-test',
      messages: [
        { role: 'system', content: 'Be kind.' },
        { role: 'user', content: 'Hi' },
      ],
      temperature: 0.2,
      max_tokens: 50,
      stop: ['END'],
      stream: false,
    });
    expect(result).toEqual({
      content: [{ type: 'text', text: 'Hello!' }],
      finishReason: 'stop',
      usage: { inputTokens: 12, outputTokens: 3, cachedInputTokens: 8, reasoningTokens: 2 },
      response: { id: 'chatcmpl-fake', modelId: 'fake-model' },
    });
  });

  it('uses max_completion_tokens where the vendor wants it', async () => {
    const { fake, model } = await setup((_req, res) => sendJson(res, 200, completion({ content: 'ok' })), { maxTokensField: 'max_completion_tokens' });
    await model.doGenerate({ prompt: [user('Hi')], maxOutputTokens: 9 });
    expect(fake.requests[0]?.body).toMatchObject({ max_completion_tokens: 9 });
    expect(fake.requests[0]?.body).not.toHaveProperty('max_tokens');
  });

  it('round-trips tool calls: parallel calls out, their results back as tool messages', async () => {
    const { fake, model } = await setup((_req, res) =>
      sendJson(res, 200, completion({
        finishReason: 'tool_calls',
        toolCalls: [
          { id: 'call_a', name: 'get_weather', arguments: '{"city":"Oslo"}' },
          { id: 'call_b', name: 'get_weather', arguments: '' },
        ],
      })),
    );
    const first = await model.doGenerate({ prompt: [user('Weather?')], tools: [weatherTool], toolChoice: { type: 'required' } });
    expect(fake.requests[0]?.body).toMatchObject({
      tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather for a city', parameters: weatherTool.inputSchema } }],
      tool_choice: 'required',
    });
    expect(first.finishReason).toBe('tool-calls');
    expect(first.content).toEqual([
      { type: 'tool-call', toolCallId: 'call_a', toolName: 'get_weather', input: '{"city":"Oslo"}' },
      { type: 'tool-call', toolCallId: 'call_b', toolName: 'get_weather', input: '{}' },
    ]);

    fake.handle((_req, res) => sendJson(res, 200, completion({ content: 'Sunny in both.' })));
    await model.doGenerate({
      prompt: [
        user('Weather?'),
        { role: 'assistant', content: first.content },
        {
          role: 'tool',
          content: [
            { type: 'tool-result', toolCallId: 'call_a', toolName: 'get_weather', output: '{"sky":"sunny"}' },
            { type: 'tool-result', toolCallId: 'call_b', toolName: 'get_weather', output: 'sunny' },
          ],
        },
      ],
      tools: [weatherTool],
      toolChoice: { type: 'tool', toolName: 'get_weather' },
    });
    expect(fake.requests[1]?.body).toMatchObject({
      messages: [
        { role: 'user', content: 'Weather?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
            { id: 'call_b', type: 'function', function: { name: 'get_weather', arguments: '{}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_a', content: '{"sky":"sunny"}' },
        { role: 'tool', tool_call_id: 'call_b', content: 'sunny' },
      ],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
    });
  });

  it('streams text and interleaved tool-call argument deltas with a per-tool index, and always asks for usage', async () => {
    const { fake, model } = await setup((_req, res) =>
      streamChunks(res, [
        chunk({ role: 'assistant', content: 'Checking' }),
        chunk({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
        chunk({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '{"tz":' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":"Oslo"}' } }] }),
        chunk({ tool_calls: [{ index: 1, function: { arguments: '"UTC"}' } }] }),
        chunk({}, { finishReason: 'tool_calls' }),
        chunk(null, { usage: { prompt_tokens: 20, completion_tokens: 11 } }),
      ]),
    );
    const streamed = await parts(model, { prompt: [user('Weather and time?')], tools: [weatherTool] });
    expect(fake.requests[0]?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(streamed).toEqual([
      { type: 'response-metadata', id: 'chatcmpl-fake', modelId: 'fake-model' },
      { type: 'text-start', id: 'text-0' },
      { type: 'text-delta', id: 'text-0', delta: 'Checking' },
      { type: 'tool-input-start', id: 'call_a', toolName: 'get_weather', index: 0 },
      { type: 'tool-input-start', id: 'call_b', toolName: 'get_time', index: 1 },
      { type: 'tool-input-delta', id: 'call_b', delta: '{"tz":' },
      { type: 'tool-input-delta', id: 'call_a', delta: '{"city":"Oslo"}' },
      { type: 'tool-input-delta', id: 'call_b', delta: '"UTC"}' },
      { type: 'text-end', id: 'text-0' },
      { type: 'tool-input-end', id: 'call_a' },
      { type: 'tool-call', toolCallId: 'call_a', toolName: 'get_weather', input: '{"city":"Oslo"}' },
      { type: 'tool-input-end', id: 'call_b' },
      { type: 'tool-call', toolCallId: 'call_b', toolName: 'get_time', input: '{"tz":"UTC"}' },
      { type: 'finish', finishReason: 'tool-calls', usage: { inputTokens: 20, outputTokens: 11 } },
    ]);
  });

  it('tells calls apart by id when a server numbers them all 0, and gives empty arguments as {}', async () => {
    const { model } = await setup((_req, res) =>
      streamChunks(res, [
        chunk({ tool_calls: [{ index: 0, id: 'call_1', function: { name: 'a', arguments: '' } }] }),
        chunk({ tool_calls: [{ index: 0, id: 'call_2', function: { name: 'b', arguments: '{"x":1}' } }] }),
        chunk({}, { finishReason: 'tool_calls', usage: { prompt_tokens: 1, completion_tokens: 1 } }),
      ]),
    );
    const result = await collectStream(await model.doStream({ prompt: [user('go')] }));
    expect(result.content).toEqual([
      { type: 'tool-call', toolCallId: 'call_1', toolName: 'a', input: '{}' },
      { type: 'tool-call', toolCallId: 'call_2', toolName: 'b', input: '{"x":1}' },
    ]);
  });

  it('does not send stream_options to a server that refuses them', async () => {
    const { fake, model } = await setup(
      (_req, res) => streamChunks(res, [chunk({ content: 'hi' }, { finishReason: 'stop', usage: { prompt_tokens: 2, completion_tokens: 1 } })]),
      { provider: 'mistral', streamUsageOption: false },
    );
    const result = await collectStream(await model.doStream({ prompt: [user('hi')] }));
    expect(fake.requests[0]?.body).not.toHaveProperty('stream_options');
    expect(result.usage).toEqual({ inputTokens: 2, outputTokens: 1 });
  });

  it('maps stop reasons', async () => {
    for (const [wire, normalized] of [['length', 'length'], ['content_filter', 'content-filter'], ['stop', 'stop'], ['weird', 'other']] as const) {
      const { model } = await setup((_req, res) => sendJson(res, 200, completion({ content: 'x', finishReason: wire })));
      expect((await model.doGenerate({ prompt: [user('x')] })).finishReason).toBe(normalized);
    }
  });

  describe('errors', () => {
    it('401: not retryable, and the key never appears', async () => {
      const { model } = await setup((_req, res) => openAIError(res, 401, `Incorrect API key provided: ${apiKey}.`, { code: 'invalid_api_key' }));
      const error = await failure(model.doGenerate({ prompt: [user('x')] }));
      expect(error).toMatchObject({ code: 'provider_auth_failed', retryable: false, statusCode: 401 });
      expect(String(error?.message)).not.toContain(apiKey);
      expect(String(error?.message)).not.toContain('sk-');
    });

    it('429 with Retry-After: retryable, with the wait', async () => {
      const { model } = await setup((_req, res) => openAIError(res, 429, 'Slow down', { headers: { 'retry-after': '3' } }));
      expect(await failure(model.doGenerate({ prompt: [user('x')] }))).toMatchObject({ code: 'provider_rate_limited', retryable: true, retryAfterMs: 3000 });
    });

    it('500 and 503: retryable', async () => {
      for (const status of [500, 503]) {
        const { model } = await setup((_req, res) => openAIError(res, status, 'down'));
        expect(await failure(model.doGenerate({ prompt: [user('x')] }))).toMatchObject({ code: 'provider_error', retryable: true, statusCode: status });
      }
    });

    it('400 about context length: context_length_exceeded, not retryable', async () => {
      const { model } = await setup((_req, res) =>
        openAIError(res, 400, "This model's maximum context length is 8192 tokens. However, you requested 9000 tokens.", { code: 'context_length_exceeded' }),
      );
      expect(await failure(model.doGenerate({ prompt: [user('x')] }))).toMatchObject({ code: 'context_length_exceeded', retryable: false });
    });

    it('malformed JSON: a retryable provider error', async () => {
      const { model } = await setup((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"id": "chatcmpl-x", "choices": [');
      });
      expect(await failure(model.doGenerate({ prompt: [user('x')] }))).toMatchObject({ code: 'provider_error', retryable: true });
    });

    it('connection refused: provider_unavailable, for generate and before a stream starts', async () => {
      const { fake, model } = await setup(() => {});
      await fake.close();
      expect(await failure(model.doGenerate({ prompt: [user('x')] }))).toMatchObject({ code: 'provider_unavailable', retryable: true });
      expect(await failure(model.doStream({ prompt: [user('x')] }))).toMatchObject({ code: 'provider_unavailable' });
    });

    it('a stream cut mid-way ends with an error part, never a clean finish', async () => {
      const { model } = await setup((_req, res) =>
        streamChunks(res, [chunk({ content: 'The answer is' }), chunk({ content: ' forty' }), chunk({ content: '-two' }, { finishReason: 'stop' })], { cutAfter: 2 }),
      );
      const streamed = await parts(model, { prompt: [user('x')] });
      expect(streamed.map((p) => p.type)).toEqual(['response-metadata', 'text-start', 'text-delta', 'text-delta', 'error']);
      expect(streamed.at(-1)).toMatchObject({ error: { code: 'provider_error', retryable: true } });
      await expect(collectStream(await model.doStream({ prompt: [user('x')] }))).rejects.toMatchObject({ code: 'provider_error' });
    });

    it('a stream that closes without a finish reason is an error too', async () => {
      const { model } = await setup((_req, res) => streamChunks(res, [chunk({ content: 'partial' })], { done: false }));
      const streamed = await parts(model, { prompt: [user('x')] });
      expect(streamed.at(-1)).toMatchObject({ type: 'error', error: { message: 'openai: the stream ended before it finished' } });
    });

    it('an error status rejects doStream before any part', async () => {
      const { model } = await setup((_req, res) => openAIError(res, 503, 'overloaded'));
      expect(await failure(model.doStream({ prompt: [user('x')] }))).toMatchObject({ code: 'provider_error', statusCode: 503 });
    });

    it('the caller’s abort cancels the call and comes back as the caller’s reason', async () => {
      const { fake, model } = await setup(() => new Promise(() => {}));
      const controller = new AbortController();
      const pending = failure(model.doGenerate({ prompt: [user('x')], abortSignal: controller.signal }));
      await new Promise((resolve) => setTimeout(resolve, 50));
      controller.abort(new Error('caller gave up'));
      expect(await pending).toMatchObject({ message: 'caller gave up' });
      expect(fake.requests).toHaveLength(1);
    });
  });
});
