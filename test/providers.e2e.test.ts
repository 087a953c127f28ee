import { fingerprintOf } from '../core/models/key-ring.ts';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorResponse, messageStreamEvents, startFakeAnthropic, streamResponse, type FakeAnthropic } from './fakes/fake-anthropic.ts';
import { SqliteStore } from '../core/store/embedded/sqlite-store.ts';
import { startPlatformProcess, type PlatformProcess } from './helpers/platform.ts';

/** A client speaking OpenAI to the gateway, the gateway speaking Anthropic to the provider. */
const anthropicKey = 'sk-ant-e2e-secret-4b1d9c2e7f';
let anthropic: FakeAnthropic;
let platform: PlatformProcess;
let client: OpenAI;
let token: string;

beforeAll(async () => {
  anthropic = await startFakeAnthropic({ apiKey: anthropicKey });
  platform = await startPlatformProcess({ LLM_PROVIDER: 'anthropic', ANTHROPIC_API_KEY: anthropicKey, ANTHROPIC_BASE_URL: anthropic.origin });
  token = platform.token('dana');
  client = new OpenAI({ apiKey: token, baseURL: `${platform.url}/v1`, maxRetries: 0 });
}, 60_000);

afterAll(async () => {
  await platform?.stop();
  await anthropic?.close();
});

describe('the platform with LLM_PROVIDER=anthropic', () => {
  it('says which provider it uses', () => {
    expect(platform.output()).toContain('Provider:  anthropic (instant claude-haiku-4-5, thinking claude-sonnet-4-5)');
  });

  it('answers an OpenAI chat completion with Claude, translating the request faithfully', async () => {
    anthropic.reply(
      streamResponse(
        messageStreamEvents({
          blocks: [{ type: 'text', text: ['Bonjour', ' from Claude.'] }],
          usage: { input_tokens: 21, output_tokens: 4, cache_read_input_tokens: 10 },
        }),
      ),
    );
    const completion = await client.chat.completions.create({
      model: 'default',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Say hello in French.' },
      ],
      temperature: 0.5,
    });
    expect(anthropic.lastBody()).toMatchObject({
      model: 'claude-haiku-4-5',
      system: 'You are terse.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Say hello in French.' }] }],
      temperature: 0.5,
      stream: true,
    });
    const headers = anthropic.requests.at(-1)?.headers;
    expect(`${headers?.['x-api-key'] ?? ''} ${headers?.authorization ?? ''}`).toContain(anthropicKey);
    expect(completion.model).toBe('anthropic/claude-haiku-4-5');
    expect(completion.choices[0]?.message.content).toBe('Bonjour from Claude.');
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.usage).toEqual({ prompt_tokens: 31, completion_tokens: 4, total_tokens: 35, prompt_tokens_details: { cached_tokens: 10 } });
  });

  it('serves the thinking tier and any provider/model a client names', async () => {
    anthropic.reply(streamResponse(messageStreamEvents({ blocks: [{ type: 'text', text: 'Deep thought.' }] })));
    await client.chat.completions.create({ model: 'thinking', messages: [{ role: 'user', content: 'Think.' }] });
    expect(anthropic.lastBody()).toMatchObject({ model: 'claude-sonnet-4-5' });
    const named = await client.chat.completions.create({ model: 'anthropic/claude-opus-4-1', messages: [{ role: 'user', content: 'Hi' }] });
    expect(anthropic.lastBody()).toMatchObject({ model: 'claude-opus-4-1' });
    expect(named.model).toBe('anthropic/claude-opus-4-1');
  });

  it('routes code and reasoning to the thinking tier, and says so in headers, stream and audit', async () => {
    anthropic.reply(streamResponse(messageStreamEvents({ blocks: [{ type: 'text', text: 'Use a guard.' }] })));
    const { response } = await client.chat.completions
      .create({ model: 'default', messages: [{ role: 'user', content: 'Why does this hang?\n```js\nwhile (true) {}\n```' }] })
      .withResponse();
    expect(anthropic.lastBody()).toMatchObject({ model: 'claude-sonnet-4-5' });
    expect(response.headers.get('x-gateway-tier')).toBe('thinking');
    expect(response.headers.get('x-gateway-route-reason')).toBe('code');

    anthropic.reply(streamResponse(messageStreamEvents({ blocks: [{ type: 'text', text: 'Hi!' }] })));
    const stream = await client.chat.completions.create({ model: 'default', stream: true, messages: [{ role: 'user', content: 'Hello!' }] }).withResponse();
    for await (const _chunk of stream.data);
    expect(anthropic.lastBody()).toMatchObject({ model: 'claude-haiku-4-5' });
    expect(stream.response.headers.get('x-gateway-tier')).toBe('instant');
    expect(stream.response.headers.get('x-gateway-route-reason')).toBe('default');

    const store = new SqliteStore(join(platform.dataDir, 'gateway.db'));
    try {
      const audits = (await store.listAudit({ limit: 2 })).map((record) => record.detail);
      expect(audits).toEqual([
        expect.objectContaining({ model: 'anthropic/claude-haiku-4-5', tier: 'instant', routeReason: 'default' }),
        expect.objectContaining({ model: 'anthropic/claude-sonnet-4-5', tier: 'thinking', routeReason: 'code' }),
      ]);
    } finally {
      await store.close();
    }
    const metrics = await (await fetch(`${platform.url}/metrics`)).text();
    expect(metrics).toMatch(/gateway_tier_decisions_total\{tier="thinking",reason="code"\} [1-9]/);
  });

  it('answers legacy text completions through the same layer', async () => {
    anthropic.reply(streamResponse(messageStreamEvents({ blocks: [{ type: 'text', text: 'blue.' }], stopReason: 'max_tokens' })));
    const completion = await client.completions.create({ model: 'default', prompt: 'The sky is', max_tokens: 5 });
    expect(anthropic.lastBody()).toMatchObject({ messages: [{ role: 'user', content: [{ type: 'text', text: 'The sky is' }] }], max_tokens: 5 });
    expect(completion.object).toBe('text_completion');
    expect(completion.choices[0]).toMatchObject({ text: 'blue.', finish_reason: 'length' });
  });

  it('lists what can be called, and the providers with their state but never a key', async () => {
    expect((await client.models.list()).data.map((model) => model.id)).toEqual(['anthropic/claude-haiku-4-5', 'anthropic/claude-sonnet-4-5']);
    const response = await fetch(`${platform.url}/v1/providers`, { headers: { authorization: `Bearer ${token}` } });
    const text = await response.text();
    expect(text).not.toContain(anthropicKey);
    expect(JSON.parse(text)).toEqual({
      object: 'list',
      data: [
        {
          id: 'anthropic',
          role: 'primary',
          base_url: anthropic.origin,
          status: 'ok',
          models: { instant: 'claude-haiku-4-5', thinking: 'claude-sonnet-4-5', embedding: null },
          keys: [{ fingerprint: fingerprintOf(anthropicKey), state: 'active' }],
          circuits: [
            { model: 'claude-haiku-4-5', state: 'closed', consecutive_failures: 0 },
            { model: 'claude-sonnet-4-5', state: 'closed', consecutive_failures: 0 },
          ],
        },
      ],
      routing: null,
    });
  });

  it('refuses embeddings with a clear 400, since Anthropic offers none', async () => {
    await expect(client.embeddings.create({ model: 'default', input: 'hello' })).rejects.toMatchObject({
      status: 400,
      code: 'unsupported_by_provider',
      message: expect.stringContaining('anthropic offers no embeddings'),
    });
  });

  it('reports a provider refusing our key as a 502 without the key, and never logs it', async () => {
    anthropic.reply(errorResponse(401, 'authentication_error', `invalid x-api-key: ${anthropicKey}`));
    const failure = await client.chat.completions.create({ model: 'default', messages: [{ role: 'user', content: 'Hi' }] }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ status: 502, code: 'provider_auth_failed' });
    expect(String((failure as Error).message)).not.toContain(anthropicKey);
    expect(platform.output()).not.toContain(anthropicKey);
  });
});
