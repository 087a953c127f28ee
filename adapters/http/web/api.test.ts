import { describe, expect, it } from 'vitest';
import { ApiError, createClient, describeError, sseData, storedTitle, unreachable } from './api.js';

/** A body delivered in the given pieces, as a network would cut it. */
const bodyOf = (...pieces: string[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const piece of pieces) controller.enqueue(new TextEncoder().encode(piece));
      controller.close();
    },
  });
const collect = async (body: ReadableStream<Uint8Array>) => {
  const events: string[] = [];
  for await (const data of sseData(body)) events.push(data);
  return events;
};

const chunk = (content: string, model = 'openai/gpt-4o-mini') => ({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model, choices: [{ index: 0, delta: { content }, logprobs: null, finish_reason: null }] });
const sse = (...events: unknown[]) => events.map((event) => `data: ${typeof event === 'string' ? event : JSON.stringify(event)}\n\n`).join('');

type Call = { url: string; init: RequestInit };
const fakeFetch = (respond: (call: Call) => Response | Promise<Response>) => {
  const calls: Call[] = [];
  const fetch = (async (url: string, init: RequestInit = {}) => {
    calls.push({ url, init });
    return respond({ url, init });
  }) as unknown as typeof globalThis.fetch;
  return { fetch, calls };
};
const json = (status: number, body: unknown, headers: Record<string, string> = {}) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

describe('reading Server-Sent Events', () => {
  it('yields each event’s data, across cut pieces and any line ending, skipping comments', async () => {
    const events = await collect(bodyOf(': keep-alive\n\n', 'data: {"a"', ':1}\n', '\ndata: two\r', '\n\r\ndata:x\ndata: y\r\rdata: [DONE]\n\n'));
    expect(events).toEqual(['{"a":1}', 'two', 'x\ny', '[DONE]']);
  });

  it('keeps a character cut between two reads whole', async () => {
    const bytes = new TextEncoder().encode('data: café ☕\n\n');
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const byte of bytes) controller.enqueue(Uint8Array.of(byte));
        controller.close();
      },
    });
    expect(await collect(body)).toEqual(['café ☕']);
  });

  it('drops an event the stream never finished', async () => {
    expect(await collect(bodyOf('data: whole\n\ndata: half'))).toEqual(['whole']);
  });
});

describe('the gateway client', () => {
  it('lists models with the bearer credential', async () => {
    const { fetch, calls } = fakeFetch(() => json(200, { object: 'list', data: [{ id: 'offline', object: 'model' }] }));
    expect(await createClient({ token: 'sk-gw-abc', fetch }).listModels()).toEqual(['offline']);
    expect(calls[0]!.url).toBe('/v1/models');
    expect(new Headers(calls[0]!.init.headers).get('authorization')).toBe('Bearer sk-gw-abc');
  });

  it('reports a refused credential with the API’s own message and code', async () => {
    const { fetch } = fakeFetch(() => json(401, { error: { message: 'The token has expired. (request id: req_1)', type: 'invalid_request_error', param: null, code: 'token_expired' } }));
    const error = await createClient({ token: 't', fetch }).listModels().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 401, code: 'token_expired', message: 'The token has expired. (request id: req_1)' });
  });

  it('streams a chat: the whole conversation, the conversation id, each delta and the model', async () => {
    const { fetch, calls } = fakeFetch(() => new Response(bodyOf(sse(chunk('', 'offline'), chunk('Hel', 'offline')), sse(chunk('lo', 'offline'), '[DONE]')), { headers: { 'content-type': 'text/event-stream' } }));
    const deltas: string[] = [];
    const models: string[] = [];
    const messages = [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }, { role: 'user', content: 'again' }];
    await createClient({ token: 't', fetch }).streamChat({ model: 'default', messages, conversationId: 'web-1', onDelta: (text) => deltas.push(text), onModel: (model) => models.push(model) });
    expect(deltas.join('')).toBe('Hello');
    expect(models).toEqual(['offline']);
    const { url, init } = calls[0]!;
    expect(url).toBe('/v1/chat/completions');
    expect(init.method).toBe('POST');
    expect(new Headers(init.headers).get('x-conversation-id')).toBe('web-1');
    expect(JSON.parse(String(init.body))).toEqual({ model: 'default', messages, stream: true });
  });

  it('fails on an error event mid-stream, keeping what came before it', async () => {
    const failure = { error: { message: 'The provider is unavailable. (request id: req_2)', type: 'server_error', param: null, code: 'provider_unavailable' } };
    const { fetch } = fakeFetch(() => new Response(bodyOf(sse(chunk('partial'), failure))));
    const deltas: string[] = [];
    const error = await createClient({ token: 't', fetch }).streamChat({ model: 'default', messages: [], conversationId: 'c', onDelta: (text) => deltas.push(text) }).catch((caught: unknown) => caught);
    expect(deltas).toEqual(['partial']);
    expect(error).toMatchObject({ code: 'provider_unavailable', message: 'The provider is unavailable. (request id: req_2)' });
  });

  it('never takes a stream cut short for a finished answer', async () => {
    const { fetch } = fakeFetch(() => new Response(bodyOf(sse(chunk('half')))));
    await expect(createClient({ token: 't', fetch }).streamChat({ model: 'default', messages: [], conversationId: 'c', onDelta: () => {} })).rejects.toThrow(/cut off/);
  });

  it('rejects with the abort when stopped, not with an error to show', async () => {
    const controller = new AbortController();
    const { fetch } = fakeFetch(
      ({ init }) =>
        new Response(
          new ReadableStream({
            start(stream) {
              stream.enqueue(new TextEncoder().encode(sse(chunk('so far'))));
              init.signal?.addEventListener('abort', () => stream.error(init.signal?.reason));
            },
          }),
        ),
    );
    const deltas: string[] = [];
    const done = createClient({ token: 't', fetch }).streamChat({ model: 'default', messages: [], conversationId: 'c', signal: controller.signal, onDelta: (text) => { deltas.push(text); controller.abort(); } });
    const error = await done.catch((caught: unknown) => caught);
    expect(error).not.toBeInstanceOf(ApiError);
    expect((error as Error).name).toBe('AbortError');
    expect(deltas).toEqual(['so far']);
  });

  it('says when the gateway cannot be reached', async () => {
    const fetch = (async () => {
      throw new TypeError('fetch failed');
    }) as unknown as typeof globalThis.fetch;
    const error = await createClient({ token: 't', fetch }).listModels().catch((caught: unknown) => caught);
    expect(describeError(error)).toBe(unreachable);
    expect(unreachable).toMatch(/^Could not reach the gateway/);
  });

  it('reads the gateway’s conversations and their messages, content as text', async () => {
    const conversation = { object: 'conversation', id: 'http-abc', platform: 'http', title: 'Plan a trip', created_at: '2026-11-22T18:02:11.000Z', updated_at: '2026-11-22T18:09:40.000Z' };
    const { fetch } = fakeFetch(({ url }) =>
      url === '/v1/conversations'
        ? json(200, { object: 'list', data: [conversation] })
        : json(200, { object: 'list', data: [{ id: 'm1', role: 'user', content: 'Plan a trip', created_at: 'a' }, { role: 'assistant', content: [{ type: 'text', text: 'Day 1' }], createdAt: 'b' }] }),
    );
    const client = createClient({ token: 't', fetch });
    expect(await client.listConversations()).toEqual([{ id: 'http-abc', title: 'Plan a trip', platform: 'http', updatedAt: '2026-11-22T18:09:40.000Z' }]);
    expect(await client.conversationMessages('http-abc')).toEqual([{ role: 'user', content: 'Plan a trip', createdAt: 'a' }, { role: 'assistant', content: 'Day 1', createdAt: 'b' }]);
  });

  it('titles a conversation as the gateway does', () => {
    expect(storedTitle('  Plan   a\ntrip ')).toBe('Plan a trip');
    expect(storedTitle('x'.repeat(100))).toBe(`${'x'.repeat(79)}…`);
  });

  it('falls back when the gateway has no conversations API (404)', async () => {
    const { fetch, calls } = fakeFetch(({ url }) =>
      url === '/v1/conversations' ? json(404, { error: { message: 'There is no route GET /v1/conversations.', code: 'not_found' } }) : json(200, { object: 'list', data: [{ role: 'user', content: 'hi', createdAt: 'x' }] }),
    );
    const client = createClient({ token: 't', fetch });
    expect(await client.listConversations()).toBeNull();
    expect(await client.conversationMessages('a b/c')).toEqual([{ role: 'user', content: 'hi', createdAt: 'x' }]);
    expect(calls[1]!.url).toBe('/v1/conversations/a%20b%2Fc/messages');
  });
});

describe('describing errors', () => {
  it('gives a rate limit’s wait from Retry-After', async () => {
    const { fetch } = fakeFetch(() => json(429, { error: { message: 'You have reached your limit of 20 requests per minute. Please try again in 3 s.', code: 'rate_limited' } }, { 'retry-after': '7' }));
    const error = await createClient({ token: 't', fetch }).streamChat({ model: 'default', messages: [], conversationId: 'c', onDelta: () => {} }).catch((caught: unknown) => caught);
    expect(describeError(error)).toBe('Rate limited: try again in 7 s.');
  });

  it('gives the wait from the message where there is no header (a limit reported mid-stream)', () => {
    expect(describeError(new ApiError('Please try again in 12 s.', { code: 'rate_limited' }))).toBe('Rate limited: try again in 12 s.');
  });

  it('keeps the message of a limit that waiting cannot help', () => {
    const message = 'This request alone needs more tokens than your limit of 1000 tokens per minute.';
    expect(describeError(new ApiError(message, { status: 429, code: 'rate_limited' }))).toBe(message);
  });

  it('says a provider failure is one, then gives its own message', () => {
    expect(describeError(new ApiError('openai: overloaded. (request id: req_3)', { status: 503, code: 'provider_unavailable' }))).toBe(
      'The AI provider is not answering right now. openai: overloaded. (request id: req_3)',
    );
    expect(describeError(new ApiError('No such model.', { status: 404, code: 'model_not_found' }))).toBe('No such model.');
  });
});
