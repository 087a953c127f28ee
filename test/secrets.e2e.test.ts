import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAIError, startFakeOpenAI, streamedAnswer } from './fakes/fake-openai.ts';
import { startFakeAnthropic, type FakeAnthropic } from './fakes/fake-anthropic.ts';
import { replyError, startFakeGemini, type FakeGemini } from './fakes/fake-gemini.ts';
import type { FakeServer } from './fakes/fake-server.ts';
import { startPlatformProcess, type PlatformProcess } from './helpers/platform.ts';

/**
 * Secrets against every way out: each provider refusing or failing with the key echoed in its error (the
 * worst case), calls whole and streamed, then every response, every log line (at trace level, errors with their cause chains), every
 * audit record and every upstream request searched for them.
 */
const secrets = {
  OPENAI_API_KEY: 'sk-openai-SECRET-4b1d9e77c0aa',
  ANTHROPIC_API_KEY: 'sk-ant-SECRET-90e2f1c35b7d',
  GOOGLE_AI_API_KEY: 'AIza-SECRET-5c8e0a1f2d3b',
  JWT_SECRET: 'jwt-SECRET-0123456789abcdef0123456789abcdef',
};
/** What a person pasted into a chat: theirs to send to the model, never ours to log. */
const pasted = 'my password is Hunter2-PASTED-7f3a';

let openai: FakeServer & { baseURL: string };
let anthropic: FakeAnthropic;
let gemini: FakeGemini;
let platform: PlatformProcess;
const seen: string[] = [];

beforeAll(async () => {
  openai = await startFakeOpenAI(streamedAnswer('Noted.'));
  // Accepts another key than the one configured: every call is a 401 whose message holds the key sent.
  anthropic = await startFakeAnthropic({ apiKey: 'sk-ant-the-right-one' });
  gemini = await startFakeGemini({ apiKey: secrets.GOOGLE_AI_API_KEY });
  gemini.reply(replyError(500, 'INTERNAL', `backend failed for key=${secrets.GOOGLE_AI_API_KEY}`));
  platform = await startPlatformProcess({
    ...secrets,
    OPENAI_BASE_URL: openai.baseURL,
    ANTHROPIC_BASE_URL: anthropic.origin,
    GOOGLE_AI_BASE_URL: gemini.origin,
    LOG_LEVEL: 'trace',
    LLM_MAX_RETRIES: '0',
  });
}, 60_000);
afterAll(async () => {
  await platform?.stop();
  await Promise.all([openai?.close(), anthropic?.close(), gemini?.close()]);
});

/** Every response kept whole, headers included, to be searched at the end. */
async function call(method: string, path: string, token: string, body?: unknown) {
  const response = await fetch(`${platform.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  seen.push(JSON.stringify([...response.headers]), text);
  return { status: response.status, text };
}
const chat = (token: string, model: string, stream = false) =>
  call('POST', '/v1/chat/completions', token, { model, stream, messages: [{ role: 'user', content: `Remember this: ${pasted}` }] });

describe('secrets', () => {
  it('never leave the gateway: not in responses, logs, audit records or upstream requests', async () => {
    const user = platform.token('secret-keeper');
    const admin = platform.token('root', '--role', 'admin');

    expect((await chat(user, 'openai/gpt-test')).status).toBe(200);
    expect((await chat(user, 'openai/gpt-test', true)).status).toBe(200);
    openai.handle((request, response) => openAIError(response, 401, `Incorrect API key provided: ${request.headers.authorization}`));
    expect((await chat(user, 'openai/gpt-test')).status).toBe(502);
    expect((await chat(user, 'openai/gpt-test', true)).status).toBe(502);
    const refusedByAnthropic = await chat(user, 'anthropic/claude-test');
    expect(refusedByAnthropic).toMatchObject({ status: 502, text: expect.stringContaining('provider_auth_failed') });
    expect((await chat(user, 'anthropic/claude-test', true)).status).toBe(502);
    expect((await chat(user, 'google/gemini-2.5-flash')).status).toBeGreaterThanOrEqual(500);
    for (const path of ['/v1/providers', '/v1/models', '/v1/usage', '/metrics', '/health', '/openapi.json']) {
      expect((await call('GET', path, admin)).status).toBeLessThan(500);
    }
    const audit = await call('GET', '/v1/audit?limit=1000', admin);
    expect(audit.status).toBe(200);
    expect(audit.text).toContain('chat.completion');

    // The providers were really asked with their keys (so the keys were there to leak), and no request
    // carried one anywhere but its credential header.
    const credential = (headers: Record<string, unknown>) => String(headers['x-api-key'] ?? headers.authorization ?? '');
    expect(anthropic.requests.some((request) => credential(request.headers).includes(secrets.ANTHROPIC_API_KEY))).toBe(true);
    expect(gemini.requests.length).toBeGreaterThan(0);
    const upstreamBodies = [...openai.requests, ...anthropic.requests, ...gemini.requests].map((request) => `${request.url} ${JSON.stringify(request.body)}`);
    expect(upstreamBodies.join('\n')).toContain(pasted);

    const logs = platform.output();
    expect(logs).toMatch(/"level":(10|20)\b/); // trace and debug lines were written, and searched
    for (const [name, secret] of Object.entries(secrets)) {
      expect(seen.filter((text) => text.includes(secret)), `${name} in a response`).toEqual([]);
      expect(logs.split('\n').filter((line) => line.includes(secret)).map((line) => line.slice(0, 300)), `${name} in the logs`).toEqual([]);
      expect(upstreamBodies.filter((text) => text.includes(secret)), `${name} sent to a model`).toEqual([]);
    }
    expect(audit.text.includes(pasted), 'the pasted secret in the audit trail').toBe(false);
    expect(logs.includes('Hunter2-PASTED'), 'the pasted secret in the logs').toBe(false);
  });
});
