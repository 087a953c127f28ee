import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { completion, openAIError, startFakeOpenAI } from '../../test/fakes/fake-openai.ts';
import { sendJson, type FakeServer } from '../../test/fakes/fake-server.ts';
import { parseConfig } from '../config/config.ts';
import { fingerprintOf } from './key-ring.ts';
import { ModelRegistry } from './registry.ts';

/** Three keys against a fake OpenAI that answers each key as the test says: 200, 429 (with Retry-After), or 401. */
const keys = ['sk-key-alpha-0000000001', 'sk-key-bravo-0000000002', 'sk-key-charlie-000000003'];
let upstream: FakeServer & { baseURL: string };
let answers: Record<string, { status: 200 } | { status: 429; retryAfterS?: number } | { status: 401 }>;

const keyOf = (authorization: unknown) => String(authorization).replace(/^Bearer /, '');
const used = () => upstream.requests.map((request) => keys.indexOf(keyOf(request.headers.authorization)));
const prompt = [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'Hi' }] }];

function registry() {
  // No retries: a retry would wait out the Retry-After this test is about.
  const parsed = parseConfig({ OPENAI_API_KEY: keys.join(', '), OPENAI_BASE_URL: upstream.baseURL, LLM_MAX_RETRIES: '0' });
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  return new ModelRegistry({ llm: parsed.config.llm });
}

beforeAll(async () => {
  upstream = await startFakeOpenAI((request, response) => {
    const answer = answers[keyOf(request.headers.authorization)] ?? { status: 200 };
    if (answer.status === 200) return sendJson(response, 200, completion({ content: 'Hello.' }));
    if (answer.status === 429) return openAIError(response, 429, 'Rate limit reached', { headers: answer.retryAfterS ? { 'retry-after': String(answer.retryAfterS) } : {} });
    return openAIError(response, 401, 'Incorrect API key provided: sk-key-***', { code: 'invalid_api_key' });
  });
});
afterAll(() => upstream?.close());
beforeEach(() => {
  upstream.requests.length = 0;
  answers = {};
});

describe('several keys for one provider', () => {
  it('reads OPENAI_API_KEY=key1,key2 as a list, and refuses an empty entry', () => {
    const parsed = parseConfig({ OPENAI_API_KEY: 'a-key, b-key ,a-key' });
    expect(parsed.ok && parsed.config.llm.providers[0]?.apiKeys).toEqual(['a-key', 'b-key']);
    // Each key is a secret of its own, masked wherever user or model text is recorded.
    expect(parsed.ok && parsed.config.secrets).toEqual(expect.arrayContaining(['a-key', 'b-key']));
    const refused = parseConfig({ OPENAI_API_KEY: 'a-key,,b-key' });
    expect(refused.ok ? [] : refused.problems).toEqual(['OPENAI_API_KEY: expected one key, or several separated by commas, with none empty']);
  });

  it('spreads requests across the keys in turn', async () => {
    const { model } = registry().resolve('default');
    for (let call = 0; call < 6; call += 1) await model.doGenerate({ prompt });
    expect(used()).toEqual([0, 1, 2, 0, 1, 2]);
  });

  it('cools a key that answers 429 down for its Retry-After, carrying on with the others meanwhile', async () => {
    const models = registry();
    const { model } = models.resolve('default');
    answers[keys[0]!] = { status: 429, retryAfterS: 1 };
    const first = await model.doGenerate({ prompt });
    expect(first.content).toEqual([{ type: 'text', text: 'Hello.' }]);
    // The 429 was answered by the next key at once; then the cooling key is skipped.
    for (let call = 0; call < 4; call += 1) await model.doGenerate({ prompt });
    expect(used()).toEqual([0, 1, 2, 1, 2, 1]);
    const openai = (await models.providers()).find((provider) => provider.id === 'openai');
    expect(openai?.keys[0]).toMatchObject({ fingerprint: fingerprintOf(keys[0]!), state: 'cooling', retryInMs: expect.any(Number) });
    expect(openai?.keys.slice(1).map((key) => key.state)).toEqual(['active', 'active']);

    answers = {};
    upstream.requests.length = 0;
    await sleep(1100);
    for (let call = 0; call < 3; call += 1) await model.doGenerate({ prompt });
    expect(used().sort()).toEqual([0, 1, 2]);
  });

  it('takes a key that answers 401 out of rotation and reports it by fingerprint, never the key', async () => {
    const models = registry();
    const { model } = models.resolve('default');
    answers[keys[1]!] = { status: 401 };
    for (let call = 0; call < 5; call += 1) await model.doGenerate({ prompt });
    expect(used().filter((index) => index === 1)).toHaveLength(1);
    const report = JSON.stringify(await models.providers());
    for (const key of keys) expect(report).not.toContain(key);
    const openai = (await models.providers()).find((provider) => provider.id === 'openai');
    expect(openai?.keys[1]).toMatchObject({ fingerprint: fingerprintOf(keys[1]!), state: 'removed', reason: expect.stringContaining('401'), removedAt: expect.any(String) });
    // The same key behind the thinking tier's model is out of rotation too: a key is the provider's.
    upstream.requests.length = 0;
    await models.resolve('thinking').model.doGenerate({ prompt });
    await models.resolve('thinking').model.doGenerate({ prompt });
    expect(used()).not.toContain(1);
  });

  it('says when every key is rate limited, and when every key was refused', async () => {
    const limited = registry();
    for (const key of keys) answers[key] = { status: 429, retryAfterS: 30 };
    await expect(limited.resolve('openai/gpt-5-mini').model.doGenerate({ prompt })).rejects.toMatchObject({ code: 'provider_rate_limited' });
    upstream.requests.length = 0;
    const again = limited.resolve('openai/gpt-5-mini').model.doGenerate({ prompt });
    await expect(again).rejects.toMatchObject({ code: 'provider_rate_limited', message: expect.stringContaining('every configured key is rate limited') });
    await expect(again).rejects.toMatchObject({ retryAfterMs: expect.any(Number) });
    expect(upstream.requests).toHaveLength(0);

    const refused = registry();
    for (const key of keys) answers[key] = { status: 401 };
    await expect(refused.resolve('openai/gpt-5-mini').model.doGenerate({ prompt })).rejects.toMatchObject({ code: 'provider_auth_failed' });
    await expect(refused.resolve('openai/gpt-5-mini').model.doGenerate({ prompt })).rejects.toMatchObject({ code: 'provider_auth_failed', message: expect.stringContaining('every configured key was refused') });
  });
});
