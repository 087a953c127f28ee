import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAIError, startFakeOpenAI, streamedAnswer } from './fakes/fake-openai.ts';
import type { FakeServer, RecordedRequest } from './fakes/fake-server.ts';
import { startPlatformProcess, type PlatformProcess } from './helpers/platform.ts';
import { waitUntil } from './helpers/processes.ts';

/**
 * A routing policy on the running platform (`npm start`'s process): two fake providers, one dear and
 * one cheap, a policy file that is changed while requests are under way, and what the platform records
 * of each answer (usage by arm and branch, the audit record, metrics, /v1/providers).
 */
let dear: FakeServer & { baseURL: string };
let cheap: FakeServer & { baseURL: string };
let platform: PlatformProcess;
let admin: string;
let dir: string;
let policyFile: string;
const state = { cheapFails: false, delayMs: 0 };

const answer = (name: string) => async (request: RecordedRequest, response: Parameters<ReturnType<typeof streamedAnswer>>[1]) => {
  await sleep(state.delayMs);
  if (name === 'cheap' && state.cheapFails) return openAIError(response, 500, 'The server had an error');
  return streamedAnswer(`Answered by the ${name} one.`)(request, response);
};
const both = [
  { id: 'dear', provider: 'openai', model: 'gpt-dear' },
  { id: 'cheap', provider: 'groq', model: 'llama-cheap' },
];
const writePolicy = (policy: unknown) => writeFileSync(policyFile, typeof policy === 'string' ? policy : JSON.stringify(policy));

beforeAll(async () => {
  dear = await startFakeOpenAI(answer('dear'));
  cheap = await startFakeOpenAI(answer('cheap'));
  dir = mkdtempSync(join(tmpdir(), 'routing-e2e-'));
  policyFile = join(dir, 'routing.json');
  writePolicy({ name: 'by-price', tiers: { instant: { strategy: 'cheapest', deployments: both } } });
  platform = await startPlatformProcess({
    OPENAI_API_KEY: 'sk-dear-upstream-0001',
    OPENAI_BASE_URL: dear.baseURL,
    OPENAI_INSTANT_MODEL: 'gpt-dear',
    GROQ_API_KEY: 'gsk-cheap-upstream-0001',
    GROQ_BASE_URL: cheap.baseURL,
    GROQ_INSTANT_MODEL: 'llama-cheap',
    PRICES: JSON.stringify({ 'openai/gpt-dear': { input: 5, output: 15 }, 'groq/llama-cheap': { input: 0.05, output: 0.1 } }),
    ROUTING_POLICY_FILE: policyFile,
    LLM_MAX_RETRIES: '0',
  });
  admin = platform.token('routing-admin', '--role', 'admin');
}, 60_000);
afterAll(async () => {
  await platform?.stop();
  await dear?.close();
  await cheap?.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = async <T>(path: string) => (await (await fetch(`${platform.url}${path}`, { headers: { authorization: `Bearer ${admin}` } })).json()) as T;
async function chat(stream = false) {
  const response = await fetch(`${platform.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'default', stream, messages: [{ role: 'user', content: 'Hello' }] }),
  });
  const text = await response.text();
  return { status: response.status, text };
}
type Usage = { data: { deployment: string | null; branch: string | null; requests: number; errors: number; costUsd: number }[] };
type Providers = { routing: { policy: string; error: string | null; tiers: { instant?: { strategy: string } } } | null };

describe('a routing policy on the running platform', () => {
  it('serves each request by the policy, and records the arm and branch in usage, the audit and metrics', async () => {
    const answers = await Promise.all([chat(), chat(true), chat()]);
    for (const { status, text } of answers) {
      expect(status).toBe(200);
      expect(text).toContain('Answered by the cheap one.');
    }
    state.cheapFails = true;
    const failedOver = await chat();
    state.cheapFails = false;
    expect(failedOver.text).toContain('Answered by the dear one.');

    const usage = await get<Usage>('/v1/usage?groupBy=deployment,branch');
    expect(usage.data.map(({ deployment, branch, requests, errors }) => ({ deployment, branch, requests, errors }))).toEqual([
      { deployment: 'cheap', branch: 'cheapest', requests: 3, errors: 0 },
      { deployment: 'dear', branch: 'failover', requests: 1, errors: 0 },
    ]);
    expect(usage.data[1]!.costUsd).toBeGreaterThan(usage.data[0]!.costUsd);

    const audit = await get<{ data: { detail: { routing?: unknown } }[] }>('/v1/audit?action=chat.completion&limit=1');
    expect(audit.data[0]?.detail.routing).toEqual({ policy: 'by-price', deployment: 'dear', branch: 'failover' });
    const metrics = await (await fetch(`${platform.url}/metrics`)).text();
    expect(metrics).toMatch(/gateway_routing_calls_total\{tier="instant",deployment="cheap",branch="cheapest",outcome="ok"\} 3/);
    expect(metrics).toMatch(/gateway_routing_calls_total\{tier="instant",deployment="cheap",branch="cheapest",outcome="error"\} 1/);
    expect(metrics).toMatch(/gateway_routing_calls_total\{tier="instant",deployment="dear",branch="failover",outcome="ok"\} 1/);
  });

  it('takes a changed file into force without a restart; refuses a bad one while traffic carries on, keeping the policy before it', async () => {
    writePolicy({ name: 'dear-first', tiers: { instant: { strategy: 'priority', deployments: both } } });
    expect(await waitUntil(async () => (await get<Providers>('/v1/providers')).routing?.policy === 'dear-first', 10_000)).toBe(true);
    expect((await chat()).text).toContain('Answered by the dear one.');

    // Requests under way while the file turns bad: every one is answered, by the policy still in force.
    state.delayMs = 300;
    const during = Array.from({ length: 8 }, () => chat());
    writePolicy('{ "tiers": { "instant": { "strategy": "random", "deployments": [] } } }');
    const later = [];
    for (let round = 0; round < 4; round += 1) {
      later.push(chat());
      await sleep(400);
    }
    const answered = await Promise.all([...during, ...later]);
    state.delayMs = 0;
    for (const { status, text } of answered) expect([status, text.includes('Answered by the dear one.')]).toEqual([200, true]);

    const providers = await get<Providers>('/v1/providers');
    expect(providers.routing).toMatchObject({ policy: 'dear-first', tiers: { instant: { strategy: 'priority' } } });
    expect(providers.routing?.error).toMatch(/tiers\.instant\.strategy: expected one of priority, cheapest, fastest, weighted/);
    expect(providers.routing?.error).not.toContain(dir);
    expect(platform.output()).toMatch(/"level":40[^\n]*ROUTING_POLICY_FILE[^\n]*was refused[^\n]*The policy before it stays in force/);

    // Mended: in force again, and the refusal is gone.
    writePolicy({ name: 'by-price', tiers: { instant: { strategy: 'cheapest', deployments: both } } });
    expect(await waitUntil(async () => (await get<Providers>('/v1/providers')).routing?.error === null, 10_000)).toBe(true);
    expect((await chat()).text).toContain('Answered by the cheap one.');
  }, 60_000);

  it('puts a deployment whose circuit is open last, so the next cheapest is chosen rather than failed over to', async () => {
    state.cheapFails = true;
    // Five failures in a row open the cheap deployment's circuit; each request is still answered.
    for (let request = 0; request < 5; request += 1) expect((await chat()).text).toContain('Answered by the dear one.');
    const before = cheap.requests.length;
    const usage = async () => (await get<Usage>('/v1/usage?groupBy=deployment,branch')).data.find((row) => row.deployment === 'dear' && row.branch === 'cheapest')?.requests ?? 0;
    expect(await usage()).toBe(0);
    expect((await chat()).text).toContain('Answered by the dear one.');
    state.cheapFails = false;
    expect(cheap.requests.length).toBe(before);
    expect(await usage()).toBe(1);
  }, 30_000);

  it('refuses to start on a policy naming a provider that is not configured, saying which', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ tiers: { thinking: { strategy: 'priority', deployments: [{ provider: 'anthropic', model: 'claude-haiku-4-5' }] } } }));
    const refused = await startPlatformProcess({ OPENAI_API_KEY: 'sk-dear-upstream-0001', OPENAI_BASE_URL: dear.baseURL, ROUTING_POLICY_FILE: bad }).then(
      async (started) => {
        await started.stop();
        return 'started';
      },
      (error: Error) => error.message,
    );
    expect(refused).toContain('tiers.thinking.deployments[0].provider: anthropic is not configured (set its API key)');
  }, 60_000);
});
