import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRedisClient, type RedisClient } from '../../queue/connection.ts';
import { RedisCircuitStore } from '../../queue/circuit-store.ts';
import { RedisTokenBuckets } from '../../queue/token-buckets.ts';
import { messageStreamEvents, startFakeAnthropic, streamResponse, type FakeAnthropic } from '../../test/fakes/fake-anthropic.ts';
import { chunk, openAIError, startFakeOpenAI, streamChunks } from '../../test/fakes/fake-openai.ts';
import { hang, type FakeServer } from '../../test/fakes/fake-server.ts';
import { useTestRedis } from '../../test/helpers/redis.ts';
import { parseConfig } from '../config/config.ts';
import { collectStream, textOf } from './collect-stream.ts';
import type { StreamPart } from './language-model.ts';
import { ModelRegistry } from './registry.ts';

/**
 * Retry, circuit breaking and failover as a deployment runs them: config from environment variables,
 * the registry's wrapped chains, real SDKs against local fakes, circuit state in a real Redis.
 */
const redis = useTestRedis();
const anthropicKey = 'sk-ant-test-0123456789';
let client: RedisClient;
let anthropic: FakeAnthropic;
const servers: FakeServer[] = [];

beforeAll(async () => {
  client = createRedisClient(redis.url);
  anthropic = await startFakeAnthropic({ apiKey: anthropicKey });
});
afterAll(async () => {
  client.disconnect();
  await anthropic.close();
});
beforeEach(() => {
  anthropic.requests.length = 0;
  anthropic.reply(streamResponse(messageStreamEvents({ blocks: [{ type: 'text', text: ['Hello ', 'from Anthropic.'] }] })));
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
  await client.flushall();
});

async function openai(handler: Parameters<typeof startFakeOpenAI>[0]) {
  const fake = await startFakeOpenAI(handler);
  servers.push(fake);
  return fake;
}

function registry(env: Record<string, string>, circuit: ConstructorParameters<typeof RedisCircuitStore>[1] = {}) {
  const parsed = parseConfig({ ANTHROPIC_API_KEY: anthropicKey, ANTHROPIC_BASE_URL: anthropic.origin, OPENAI_API_KEY: 'sk-openai-test-123456', ...env });
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  return new ModelRegistry({ llm: parsed.config.llm, circuits: new RedisCircuitStore(client, circuit), buckets: new RedisTokenBuckets(client) });
}

const prompt = [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'Hi' }] }];

async function timed<T>(work: () => Promise<T>) {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

describe('failover', () => {
  const chain = (baseURL: string, extra: Record<string, string> = {}) =>
    registry({ LLM_PROVIDER: 'openai', LLM_FALLBACK_PROVIDERS: 'anthropic', OPENAI_BASE_URL: baseURL, ...extra }).resolve('default').model;

  it('moves to the fallback in under a second when the primary refuses connections', async () => {
    const closed = await openai(() => {});
    await closed.close();
    const { value, ms } = await timed(async () => collectStream(await chain(closed.baseURL).doStream({ prompt })));
    console.log(`failover after connection refused: ${ms.toFixed(0)} ms`);
    expect(textOf(value.content)).toBe('Hello from Anthropic.');
    expect(value.response).toMatchObject({ deployment: 'anthropic/claude-haiku-4-5' });
    expect(ms).toBeLessThan(1000);
  });

  it('moves to the fallback in under a second when the primary answers 5xx', async () => {
    const failing = await openai((_req, res) => openAIError(res, 503, 'upstream overloaded'));
    const { value, ms } = await timed(async () => collectStream(await chain(failing.baseURL).doStream({ prompt })));
    console.log(`failover after HTTP 503: ${ms.toFixed(0)} ms`);
    expect(value.response?.deployment).toBe('anthropic/claude-haiku-4-5');
    expect(failing.requests).toHaveLength(1);
    expect(ms).toBeLessThan(1000);
  });

  it('moves on after the first-byte timeout when the primary hangs', async () => {
    const hanging = await openai(hang());
    const { value, ms } = await timed(async () =>
      collectStream(await chain(hanging.baseURL, { LLM_FIRST_BYTE_TIMEOUT_MS: '300' }).doStream({ prompt })),
    );
    console.log(`failover after a hang with a 300 ms first-byte timeout: ${ms.toFixed(0)} ms`);
    expect(value.response?.deployment).toBe('anthropic/claude-haiku-4-5');
    expect(ms).toBeGreaterThanOrEqual(300);
    expect(ms).toBeLessThan(1300);
  });

  it('never fails over once the first byte has arrived: the stream ends with an error', async () => {
    const cutting = await openai((_req, res) => streamChunks(res, [chunk({ content: 'Half an ans' }), chunk({ content: 'wer' })], { cutAfter: 1 }));
    const parts: StreamPart[] = [];
    for await (const part of (await chain(cutting.baseURL).doStream({ prompt })).stream) parts.push(part);
    expect(parts.filter((p) => p.type === 'text-delta').map((p) => (p.type === 'text-delta' ? p.delta : ''))).toEqual(['Half an ans']);
    expect(parts.at(-1)).toMatchObject({ type: 'error', error: { code: 'provider_error' } });
    expect(parts.some((p) => p.type === 'finish')).toBe(false);
    expect(anthropic.requests).toHaveLength(0);
  });

  it('does not fail over a request the provider refused as invalid', async () => {
    const refusing = await openai((_req, res) => openAIError(res, 400, 'temperature must be at most 2'));
    await expect(chain(refusing.baseURL).doStream({ prompt })).rejects.toMatchObject({ code: 'provider_bad_request' });
    expect(anthropic.requests).toHaveLength(0);
  });
});

describe('circuit breaker', () => {
  it('opens after consecutive failures, after which the dead provider is not called at all', async () => {
    const failing = await openai((_req, res) => openAIError(res, 500, 'boom'));
    const model = registry(
      { LLM_PROVIDER: 'openai', LLM_FALLBACK_PROVIDERS: 'anthropic', OPENAI_BASE_URL: failing.baseURL, LLM_MAX_RETRIES: '0' },
      { consecutiveFailures: 2, cooldownMs: 60_000 },
    );
    for (let i = 0; i < 2; i += 1) await collectStream(await model.resolve('default').model.doStream({ prompt }));
    expect(failing.requests).toHaveLength(2);
    const [openaiStatus] = (await model.providers()).filter((p) => p.id === 'openai');
    expect(openaiStatus).toMatchObject({ role: 'primary', circuits: [{ model: 'gpt-5-mini', state: 'open' }, { model: 'gpt-5', state: 'closed' }], status: 'degraded' });

    const { value, ms } = await timed(async () => collectStream(await model.resolve('default').model.doStream({ prompt })));
    console.log(`answer with the primary's circuit open: ${ms.toFixed(0)} ms`);
    expect(value.response?.deployment).toBe('anthropic/claude-haiku-4-5');
    expect(failing.requests).toHaveLength(2);
  });

  it('is shared: a second registry (another worker) skips the provider the first saw die', async () => {
    const failing = await openai((_req, res) => openAIError(res, 500, 'boom'));
    const env = { LLM_PROVIDER: 'openai', OPENAI_BASE_URL: failing.baseURL, LLM_MAX_RETRIES: '0' };
    const workerA = registry(env, { consecutiveFailures: 1 });
    const workerB = registry(env, { consecutiveFailures: 1 });
    await expect(workerA.resolve('default').model.doStream({ prompt })).rejects.toMatchObject({ code: 'provider_error' });
    await expect(workerB.resolve('default').model.doStream({ prompt })).rejects.toMatchObject({ code: 'circuit_open' });
    expect(failing.requests).toHaveLength(1);
  });
});

describe('retry', () => {
  it('waits exactly as long as Retry-After asks, then succeeds', async () => {
    let calls = 0;
    const flaky = await openai((_req, res) =>
      (calls += 1) === 1
        ? openAIError(res, 429, 'rate limited', { headers: { 'retry-after-ms': '250' } })
        : streamChunks(res, [chunk({ content: 'ok' }, { finishReason: 'stop', usage: { prompt_tokens: 1, completion_tokens: 1 } })]),
    );
    const model = registry({ LLM_PROVIDER: 'openai', OPENAI_BASE_URL: flaky.baseURL }).resolve('default').model;
    const { value, ms } = await timed(async () => collectStream(await model.doStream({ prompt })));
    expect(textOf(value.content)).toBe('ok');
    expect(flaky.requests).toHaveLength(2);
    expect(ms).toBeGreaterThanOrEqual(250);
  });

  it('gives up after LLM_MAX_RETRIES and reports the provider error', async () => {
    const failing = await openai((_req, res) => openAIError(res, 502, 'bad gateway'));
    const model = registry({ LLM_PROVIDER: 'openai', OPENAI_BASE_URL: failing.baseURL, LLM_MAX_RETRIES: '2' }).resolve('default').model;
    await expect(model.doStream({ prompt })).rejects.toMatchObject({ code: 'provider_error', statusCode: 502 });
    expect(failing.requests).toHaveLength(3);
  });
});

describe('before the request', () => {
  it('refuses a prompt that cannot fit the context window, naming the numbers, without a round trip', async () => {
    const model = registry({ LLM_PROVIDER: 'anthropic' }).resolve('default').model;
    const huge = [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'word '.repeat(170_000) }] }];
    await expect(model.doStream({ prompt: huge, maxOutputTokens: 4096 })).rejects.toMatchObject({
      code: 'context_length_exceeded',
      status: 400,
      message:
        'The prompt is about 212,503 tokens plus up to 4,096 output tokens, more than the 200,000-token context window of anthropic/claude-haiku-4-5. Shorten the conversation or lower max_tokens.',
    });
    expect(anthropic.requests).toHaveLength(0);
  });

  it('applies LLM_TEMPERATURE and LLM_MAX_TOKENS where the request set none', async () => {
    const model = registry({ LLM_PROVIDER: 'anthropic', LLM_TEMPERATURE: '0.4', LLM_MAX_TOKENS: '333' }).resolve('thinking').model;
    await collectStream(await model.doStream({ prompt }));
    expect(anthropic.lastBody()).toMatchObject({ model: 'claude-sonnet-4-5', temperature: 0.4, max_tokens: 333 });
    await collectStream(await model.doStream({ prompt, temperature: 1, maxOutputTokens: 10 }));
    expect(anthropic.lastBody()).toMatchObject({ temperature: 1, max_tokens: 10 });
  });
});

describe("a provider's own limits (<PREFIX>_RPM, <PREFIX>_TPM)", () => {
  const answering = () =>
    openai((_req, res) => streamChunks(res, [chunk({ content: 'Hello from OpenAI.' }), chunk({}, { finishReason: 'stop' }), chunk(null, { usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } })]));
  const model = (baseURL: string, extra: Record<string, string> = {}) =>
    registry({ LLM_PROVIDER: 'openai', OPENAI_BASE_URL: baseURL, ...extra }).resolve('default').model;

  it('are kept across the chain: past the limit, the call fails over instead of reaching the provider', async () => {
    const primary = await answering();
    const chain = model(primary.baseURL, { LLM_FALLBACK_PROVIDERS: 'anthropic', OPENAI_RPM: '2' });
    for (let i = 0; i < 2; i += 1) expect((await collectStream(await chain.doStream({ prompt }))).response?.deployment).toBe('openai/gpt-5-mini');
    const third = await collectStream(await chain.doStream({ prompt }));
    expect(third.response?.deployment).toBe('anthropic/claude-haiku-4-5');
    expect(primary.requests).toHaveLength(2);
  });

  it('wait briefly for room rather than refuse', async () => {
    const primary = await answering();
    const limited = model(primary.baseURL, { OPENAI_RPM: '60' }); // one back every second
    for (let i = 0; i < 60; i += 1) await collectStream(await limited.doStream({ prompt }));
    const { value, ms } = await timed(async () => collectStream(await limited.doStream({ prompt })));
    expect(textOf(value.content)).toBe('Hello from OpenAI.');
    expect(ms).toBeGreaterThan(200);
    expect(ms).toBeLessThan(1500);
    expect(primary.requests).toHaveLength(61);
  });

  it('refuse with a message that names the limit when there is nowhere else to go', async () => {
    const primary = await answering();
    const limited = model(primary.baseURL, { OPENAI_RPM: '1', LLM_MAX_RETRIES: '0' });
    await collectStream(await limited.doStream({ prompt }));
    const refused = await limited.doStream({ prompt }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toMatchObject({ code: 'provider_rate_limited' });
    expect((refused as Error).message).toMatch(/openai is at its configured limit of 1 requests per minute \(OPENAI_RPM, OPENAI_TPM\); room again in \d+ s\./);
    expect(primary.requests).toHaveLength(1);
  });

  it('count tokens by estimate first, then by the usage the provider reports', async () => {
    const primary = await answering();
    // 10 + 5 tokens used a call; about 300 reserved (256 for the output). A limit of 1,000 a minute admits
    // more than three calls only if each reservation is given back down to the real use.
    const limited = model(primary.baseURL, { OPENAI_TPM: '1000', LLM_MAX_RETRIES: '0' });
    for (let i = 0; i < 8; i += 1) await collectStream(await limited.doStream({ prompt }));
    expect(primary.requests).toHaveLength(8);
  });
});

