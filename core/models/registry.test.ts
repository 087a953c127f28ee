import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunk, startFakeOpenAI, streamChunks } from '../../test/fakes/fake-openai.ts';
import type { FakeServer } from '../../test/fakes/fake-server.ts';
import { parseConfig } from '../config/config.ts';
import { collectStream } from './collect-stream.ts';
import { ModelRegistry } from './registry.ts';

const registryFor = (env: Record<string, string>) => {
  const parsed = parseConfig(env);
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  return new ModelRegistry({ llm: parsed.config.llm });
};
const codeOf = (work: () => unknown) => {
  try {
    work();
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code;
  }
};

describe('ModelRegistry resolution', () => {
  const registry = registryFor({ OPENAI_API_KEY: 'sk-1', GROQ_API_KEY: 'gsk-1', LLM_FALLBACK_PROVIDERS: 'groq' });

  it('lists each configured provider’s tier models as provider/model', () => {
    expect(registry.list().map((model) => model.id)).toEqual([
      'openai/gpt-5-mini',
      'openai/gpt-5',
      'groq/llama-3.1-8b-instant',
      'groq/openai/gpt-oss-120b',
    ]);
  });

  it('resolves tier aliases, provider/model (any model), bare configured ids, and provider aliases', () => {
    expect(registry.resolve('default')).toMatchObject({ tier: 'instant', model: { provider: 'openai', modelId: 'gpt-5-mini' } });
    expect(registry.resolve('thinking')).toMatchObject({ tier: 'thinking', model: { modelId: 'gpt-5' } });
    expect(registry.resolve('openai/gpt-4.1')).toMatchObject({ model: { provider: 'openai', modelId: 'gpt-4.1' } });
    expect(registry.resolve('groq/openai/gpt-oss-120b')).toMatchObject({ tier: 'thinking', model: { provider: 'groq', modelId: 'openai/gpt-oss-120b' } });
    expect(registry.resolve('llama-3.1-8b-instant')).toMatchObject({ model: { provider: 'groq' } });
    expect(registry.resolve('default')).toBe(registry.resolve('default'));
  });

  it('refuses unknown models and unconfigured providers with model_not_found', () => {
    expect(codeOf(() => registry.resolve('gpt-9'))).toBe('model_not_found');
    expect(codeOf(() => registry.resolve('anthropic/claude-haiku-4-5'))).toBe('model_not_found');
    expect(codeOf(() => registry.resolve('offline'))).toBe('model_not_found');
    // Names of Object's own members are no tier aliases (a fuzzer's `__proto__` was a 500).
    for (const name of ['__proto__', 'constructor', 'toString', '__proto__/x']) expect(codeOf(() => registry.resolve(name)), name).toBe('model_not_found');
  });

  it('resolves embeddings to the primary provider’s model, or refuses clearly', () => {
    expect(registry.resolveEmbedding('default')).toMatchObject({ provider: 'openai', modelId: 'text-embedding-3-small' });
    expect(codeOf(() => registry.resolveEmbedding('groq/anything'))).toBe('unsupported_by_provider');
    expect(new ModelRegistry().resolveEmbedding(undefined)).toMatchObject({ provider: 'offline' });
  });

  it('refuses an unknown embedding model on the offline gateway as not found, not as a provider without embeddings', () => {
    const offline = new ModelRegistry();
    expect(offline.resolveEmbedding('offline')).toMatchObject({ provider: 'offline' });
    expect(() => offline.resolveEmbedding('#')).toThrow(expect.objectContaining({ code: 'model_not_found', message: 'The embedding model "#" does not exist. Available: default, offline.' }));
    expect(codeOf(() => offline.resolveEmbedding('openai/text-embedding-3-small'))).toBe('model_not_found');
  });
});

describe('OpenAI-compatible vendors are configuration deltas on one base', () => {
  let fake: FakeServer & { baseURL: string };
  beforeAll(async () => {
    fake = await startFakeOpenAI((_req, res) =>
      streamChunks(res, [chunk({ content: 'ok' }, { finishReason: 'stop', usage: { prompt_tokens: 1, completion_tokens: 1 } })]),
    );
  });
  afterAll(() => fake.close());

  const vendors = [
    { id: 'openai', prefix: 'OPENAI', model: 'gpt-5-mini', maxTokens: 'max_completion_tokens', streamOptions: true },
    { id: 'mistral', prefix: 'MISTRAL', model: 'mistral-small-latest', maxTokens: 'max_tokens', streamOptions: false },
    { id: 'groq', prefix: 'GROQ', model: 'llama-3.1-8b-instant', maxTokens: 'max_tokens', streamOptions: true },
    { id: 'openrouter', prefix: 'OPENROUTER', model: 'openai/gpt-5-mini', maxTokens: 'max_tokens', streamOptions: true },
    { id: 'moonshot', prefix: 'MOONSHOT', model: 'kimi-k2-turbo-preview', maxTokens: 'max_tokens', streamOptions: true },
    { id: 'custom', prefix: 'CUSTOM', model: 'llama3.2', maxTokens: 'max_tokens', streamOptions: true },
  ];

  for (const vendor of vendors) {
    it(`${vendor.id}: its default model, key, token field and usage option`, async () => {
      const key = `${vendor.id}-key-0123456789`;
      const registry = registryFor({
        LLM_PROVIDER: vendor.id,
        [`${vendor.prefix}_API_KEY`]: key,
        [`${vendor.prefix}_BASE_URL`]: fake.baseURL,
        ...(vendor.id === 'custom' ? { CUSTOM_INSTANT_MODEL: 'llama3.2' } : {}),
      });
      const { model } = registry.resolve('default');
      await collectStream(await model.doStream({ prompt: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], maxOutputTokens: 7 }));
      const request = fake.requests.at(-1);
      expect(request?.url).toBe('/v1/chat/completions');
      expect(request?.headers.authorization).toBe(`Bearer ${key}`);
      expect(request?.body).toMatchObject({ model: vendor.model, [vendor.maxTokens]: 7, stream: true });
      expect(Boolean((request?.body as { stream_options?: unknown }).stream_options)).toBe(vendor.streamOptions);
      if (vendor.id === 'openrouter') expect(request?.headers['x-title']).toBe('chat-gateway');
    });
  }
});
