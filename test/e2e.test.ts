import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../core/store/embedded/sqlite-store.ts';
import { mintApiToken } from '../core/identity/tokens.ts';
import { startPlatformProcess, type PlatformProcess } from './helpers/platform.ts';
import { isAlive, waitUntil } from './helpers/processes.ts';

let platform: PlatformProcess;
let token: string;
let redisPid: number;

beforeAll(async () => {
  platform = await startPlatformProcess();
  token = platform.token('alice');
  redisPid = Number(readFileSync(join(platform.dataDir, 'redis', 'redis.pid'), 'utf8'));
}, 60_000);

afterAll(async () => {
  await platform?.stop();
});

async function post(path: string, body: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${platform.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
    body,
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

/**
 * A POST that reads the answer even when the server answers before the body is fully sent (as it
 * does for a body over the limit), where fetch reports only the broken pipe.
 */
function postEarlyAnswered(path: string, body: string) {
  return new Promise<{ status: number; headers: Headers; body: unknown }>((resolve, reject) => {
    const request = httpRequest(`${platform.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'content-length': Buffer.byteLength(body) },
    });
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const headers = new Headers(Object.entries(response.headers).map(([k, v]) => [k, String(v)] as [string, string]));
        resolve({ status: response.statusCode ?? 0, headers, body: JSON.parse(Buffer.concat(chunks).toString()) });
      });
    });
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error);
    });
    request.end(body);
  });
}

/** The OpenAI error shape, exactly, with a message that carries the request id and no stack trace. */
function expectOpenAiError(
  result: { status: number; headers: Headers; body: unknown },
  status: number,
  code: string,
  param: string | null = null,
) {
  expect(result.status).toBe(status);
  const body = result.body as { error: Record<string, unknown> };
  expect(Object.keys(body)).toEqual(['error']);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(body.error).toMatchObject({ code, param });
  expect(body.error.message).toContain(`(request id: ${result.headers.get('x-request-id')})`);
  expect(String(body.error.message)).not.toMatch(/\n\s+at /);
  return String(body.error.message);
}

describe('the platform, started as npm start starts it', () => {
  it('prints where it runs, its data directory, its provider and how to get a token', () => {
    const banner = platform.output();
    expect(banner).toContain(`URL:       ${platform.url}`);
    expect(banner).toContain(`Data:      ${platform.dataDir}`);
    expect(banner).toMatch(/Redis:\s+private redis-server on redis:\/\/127\.0\.0\.1:\d+/);
    expect(banner).toContain('Provider:  offline');
    expect(banner).toContain('npm run -s token -- --user alice');
  });

  it('reports itself healthy', async () => {
    const response = await fetch(`${platform.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: 'ok',
      checks: { store: { status: 'ok' }, redis: { status: 'ok' }, worker: { status: 'ok', detail: '1 listening' } },
    });
  });

  it('answers the official openai client through the queue with the offline model', async () => {
    const client = new OpenAI({ apiKey: token, baseURL: `${platform.url}/v1`, maxRetries: 0 });
    const completion = await client.chat.completions.create({
      model: 'default',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'What is 2 + 2?' },
      ],
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe('offline');
    expect(completion.choices).toHaveLength(1);
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    const content = completion.choices[0]?.message.content ?? '';
    expect(content).toMatch(/^This is the built-in offline model: no model provider is configured/);
    expect(content).toContain('OPENAI_API_KEY');
    expect(content).toMatch(/You said: "What is 2 \+ 2\?"$/);
    expect(completion.usage).toEqual({
      prompt_tokens: 8,
      completion_tokens: Math.ceil(content.length / 4),
      total_tokens: 8 + Math.ceil(content.length / 4),
    });

    const models = await client.models.list();
    expect(models.data.map((model) => model.id)).toEqual(['offline']);
  });

  it('serves embeddings, legacy completions and the provider list with the built-in offline model', async () => {
    const client = new OpenAI({ apiKey: token, baseURL: `${platform.url}/v1`, maxRetries: 0 });
    const embeddings = await client.embeddings.create({ model: 'default', input: ['the cat sat', 'the cat sat down', 'quantum flux'] });
    expect(embeddings.model).toBe('offline');
    const [cat, catDown, flux] = embeddings.data.map((item) => item.embedding);
    const cosine = (a: number[] = [], b: number[] = []) => a.reduce((sum, value, i) => sum + value * (b[i] ?? 0), 0);
    expect(cat).toHaveLength(256);
    expect(cosine(cat, catDown)).toBeGreaterThan(cosine(cat, flux));

    const completion = await client.completions.create({ model: 'offline', prompt: 'Once upon a time' });
    expect(completion.choices[0]?.text).toMatch(/You said: "Once upon a time"$/);

    const providers = await fetch(`${platform.url}/v1/providers`, { headers: { authorization: `Bearer ${token}` } });
    expect(await providers.json()).toEqual({
      object: 'list',
      data: [
        {
          id: 'offline',
          role: 'primary',
          base_url: null,
          status: 'ok',
          models: { instant: 'offline', thinking: 'offline', embedding: 'offline' },
          keys: [],
          circuits: [],
        },
      ],
      routing: null,
    });
  });

  it('answers a retried request with the same Idempotency-Key once', async () => {
    const body = JSON.stringify({ model: 'offline', messages: [{ role: 'user', content: 'once please' }] });
    const first = await post('/v1/chat/completions', body, { 'idempotency-key': 'order-42' });
    const second = await post('/v1/chat/completions', body, { 'idempotency-key': 'order-42' });
    expect(first.status).toBe(200);
    expect(second.body).toEqual(first.body);
    const store = new SqliteStore(join(platform.dataDir, 'gateway.db'));
    const requests = await store.listRequests({ limit: 1000 });
    const id = (first.body as { id: string }).id.replace('chatcmpl-', 'http-');
    expect(requests.filter((entry) => entry.jobId === id)).toHaveLength(1);
    const conversations = await store.listMessages(id);
    expect(conversations.map((m) => m.content)).toEqual(['once please', expect.stringContaining('"once please"')]);
    await store.close();
  });

  describe('refuses bad input with a 4xx in the OpenAI error shape', () => {
    const valid = { model: 'offline', messages: [{ role: 'user', content: 'hi' }] };

    it('malformed JSON', async () => {
      expectOpenAiError(await post('/v1/chat/completions', '{"model": "offline", "messages": ['), 400, 'invalid_json');
    });

    it('an empty body', async () => {
      expectOpenAiError(await post('/v1/chat/completions', ''), 400, 'invalid_json');
    });

    it('a body that fails the schema, naming the parameter', async () => {
      const missing = await post('/v1/chat/completions', JSON.stringify({ model: 'offline' }));
      expect(expectOpenAiError(missing, 400, 'invalid_request', 'messages')).toMatch(/^Invalid request body: messages: /);
      const badRole = await post(
        '/v1/chat/completions',
        JSON.stringify({ ...valid, messages: [{ role: 'wizard', content: 'hi' }] }),
      );
      expect(expectOpenAiError(badRole, 400, 'invalid_request', 'messages[0].role')).toContain(
        'expected one of "system", "developer", "user", "assistant"',
      );
      const badTemperature = await post('/v1/chat/completions', JSON.stringify({ ...valid, temperature: 7 }));
      expectOpenAiError(badTemperature, 400, 'invalid_request', 'temperature');
    });

    it('a body that is not JSON at all', async () => {
      const result = await post('/v1/chat/completions', 'hello', { 'content-type': 'text/plain' });
      expectOpenAiError(result, 415, 'unsupported_media_type');
    });

    it('a body over the size limit', async () => {
      const huge = JSON.stringify({ ...valid, messages: [{ role: 'user', content: 'x'.repeat(2 * 1024 * 1024) }] });
      expectOpenAiError(await postEarlyAnswered('/v1/chat/completions', huge), 413, 'payload_too_large');
    });

    it('an unknown model, through the official client too', async () => {
      const result = await post('/v1/chat/completions', JSON.stringify({ ...valid, model: 'gpt-9' }));
      expect(expectOpenAiError(result, 404, 'model_not_found', 'model')).toContain(
        'The model "gpt-9" does not exist. Available: offline, default, instant, thinking.',
      );
      const client = new OpenAI({ apiKey: token, baseURL: `${platform.url}/v1`, maxRetries: 0 });
      await expect(client.chat.completions.create({ ...valid, model: 'gpt-9' } as never)).rejects.toMatchObject({
        status: 404,
        code: 'model_not_found',
      });
    });

    it('a missing, malformed, expired or forged token', async () => {
      const noToken = await fetch(`${platform.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(valid),
      });
      expectOpenAiError({ status: noToken.status, headers: noToken.headers, body: await noToken.json() }, 401, 'missing_token');
      expectOpenAiError(await post('/v1/chat/completions', JSON.stringify(valid), { authorization: 'Bearer nonsense' }), 401, 'invalid_token');
      const key = new TextEncoder().encode(readFileSync(join(platform.dataDir, 'jwt-secret'), 'utf8').trim());
      const expired = await mintApiToken(key, { subject: 'alice', role: 'user' }, { expiresInSeconds: -60 });
      expectOpenAiError(
        await post('/v1/chat/completions', JSON.stringify(valid), { authorization: `Bearer ${expired}` }),
        401,
        'token_expired',
      );
      const forged = await mintApiToken(new TextEncoder().encode('f'.repeat(32)), { subject: 'alice', role: 'admin' });
      expectOpenAiError(
        await post('/v1/chat/completions', JSON.stringify(valid), { authorization: `Bearer ${forged}` }),
        401,
        'invalid_token',
      );
      const models = await fetch(`${platform.url}/v1/models`);
      expect(models.status).toBe(401);
    });

    it('an unknown route', async () => {
      expectOpenAiError(await post('/v1/nothing', '{}'), 404, 'not_found');
    });

    it('keeps a caller-given request id', async () => {
      const result = await post('/v1/chat/completions', '{', { 'x-request-id': 'trace-abc.123' });
      expect(result.headers.get('x-request-id')).toBe('trace-abc.123');
      expect(expectOpenAiError(result, 400, 'invalid_json')).toContain('(request id: trace-abc.123)');
    });
  });

  it('lists a person\'s conversations with their titles and reads one back; someone else\'s is not found', async () => {
    const ask = (credential: string, conversation: string, content: string) =>
      post('/v1/chat/completions', JSON.stringify({ model: 'offline', messages: [{ role: 'user', content }] }), { authorization: `Bearer ${credential}`, 'x-conversation-id': conversation });
    const get = async (path: string, credential: string) => {
      const response = await fetch(`${platform.url}${path}`, { headers: { authorization: `Bearer ${credential}` } });
      return { status: response.status, body: (await response.json()) as any };
    };
    const carol = platform.token('carol-conversations');
    const first = await ask(carol, 'trip', 'Plan a three-day trip to Lisbon');
    expect(first.status).toBe(200);
    expect((await ask(carol, 'trip', 'And a fourth day?')).status).toBe(200);
    expect((await ask(carol, 'soup', 'A soup for a cold evening')).status).toBe(200);

    const listed = await get('/v1/conversations', carol);
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((c: { title: string }) => c.title)).toEqual(['A soup for a cold evening', 'Plan a three-day trip to Lisbon']);
    expect(listed.body.data[1]).toMatchObject({ object: 'conversation', id: expect.stringMatching(/^http-/), platform: 'http' });
    const trip = listed.body.data[1].id as string;
    // The answer named the record it went to, so a client can find it in the list.
    expect(first.headers.get('x-gateway-conversation-id')).toBe(trip);
    const read = await get(`/v1/conversations/${trip}/messages`, carol);
    expect(read.body.data.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    expect(read.body.data[2]).toMatchObject({ role: 'user', content: 'And a fourth day?' });

    const dave = platform.token('dave-conversations');
    expect((await get('/v1/conversations', dave)).body.data).toEqual([]);
    const refused = await get(`/v1/conversations/${trip}/messages`, dave);
    expect(refused.status).toBe(404);
    expect(refused.body.error.message).toMatch(new RegExp(`^There is no conversation ${trip}\\.`));
    expect((await get(`/v1/conversations/${trip}/messages`, platform.token('root-conversations', '--role', 'admin'))).body.data).toHaveLength(4);
    expect((await get('/v1/conversations?limit=0', carol)).status).toBe(400);
  });

  it('stops on SIGTERM with exit code 0, taking its redis-server with it', async () => {
    expect(isAlive(redisPid)).toBe(true);
    expect(await platform.stop()).toBe(0);
    expect(await waitUntil(() => !isAlive(redisPid))).toBe(true);
    expect(platform.output()).not.toMatch(/\n\s+at .*\(/);
  });
});
