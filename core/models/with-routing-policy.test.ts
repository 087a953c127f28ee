import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openAIError, startFakeOpenAI, streamedAnswer } from '../../test/fakes/fake-openai.ts';
import type { FakeServer } from '../../test/fakes/fake-server.ts';
import { waitUntil } from '../../test/helpers/processes.ts';
import { parseConfig } from '../config/config.ts';
import { PriceTable } from '../usage/prices.ts';
import { collectStream, textOf } from './collect-stream.ts';
import type { CallOptions } from './language-model.ts';
import { ModelRegistry } from './registry.ts';
import type { RoutingChoice } from './routing-policy.ts';
import { readRoutingPolicy, RoutingPolicyFile } from './routing-policy-file.ts';

/**
 * Routing policies through the registry, against two fake OpenAI-compatible providers (OpenAI and Groq
 * on 127.0.0.1) that differ in price and in how long they take to answer.
 */
let openai: FakeServer & { baseURL: string };
let groq: FakeServer & { baseURL: string };
let delays: { openai: number; groq: number };
let failing: { openai: boolean; groq: boolean };
let dir: string;
const prompt: CallOptions['prompt'] = [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }];
const prices = new PriceTable({ 'openai/gpt-dear': { input: 5, output: 15 }, 'groq/llama-cheap': { input: 0.05, output: 0.1 } });

const provider = (name: 'openai' | 'groq') => async (...args: Parameters<ReturnType<typeof streamedAnswer>>) => {
  await sleep(delays[name]);
  if (failing[name]) return openAIError(args[1], 500, 'The server had an error');
  return streamedAnswer(`Answered by ${name}.`)(...args);
};

beforeAll(async () => {
  openai = await startFakeOpenAI(provider('openai'));
  groq = await startFakeOpenAI(provider('groq'));
  dir = mkdtempSync(join(tmpdir(), 'routing-'));
});
afterAll(async () => {
  await openai?.close();
  await groq?.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  delays = { openai: 0, groq: 0 };
  failing = { openai: false, groq: false };
});

const config = () => {
  const parsed = parseConfig({
    OPENAI_API_KEY: 'sk-openai-test-0001',
    OPENAI_BASE_URL: openai.baseURL,
    OPENAI_INSTANT_MODEL: 'gpt-dear',
    GROQ_API_KEY: 'gsk-groq-test-0001',
    GROQ_BASE_URL: groq.baseURL,
    GROQ_INSTANT_MODEL: 'llama-cheap',
    LLM_MAX_RETRIES: '0',
  });
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  return parsed.config;
};
const both = [{ provider: 'openai', model: 'gpt-dear' }, { provider: 'groq', model: 'llama-cheap' }];

let files = 0;
function policyFile(policy: unknown): string {
  const file = join(dir, `policy-${++files}.json`);
  writeFileSync(file, JSON.stringify(policy));
  return file;
}

function registryWith(policy: unknown) {
  const routing = new RoutingPolicyFile(policyFile(policy), ['openai', 'groq']);
  return { registry: new ModelRegistry({ llm: config().llm, routing, prices }), routing };
}

/** One streamed call, as the pipeline makes it: the answer's text, the routing it records, and every arm it heard of. */
async function ask(registry: ModelRegistry, caller?: string) {
  const heard: RoutingChoice[] = [];
  const { model } = registry.resolve('default');
  const result = await collectStream(await model.doStream({ prompt, ...(caller ? { caller } : {}), onRouting: (choice) => heard.push(choice) }));
  return { text: textOf(result.content), routing: result.response?.routing, deployment: result.response?.deployment, heard };
}

describe('each strategy, against providers of different prices and latencies', () => {
  it('cheapest sends a request to the deployment whose price makes it cheapest, and says so', async () => {
    const { registry } = registryWith({ tiers: { instant: { strategy: 'cheapest', deployments: both } } });
    const answer = await ask(registry);
    expect(answer).toMatchObject({ text: 'Answered by groq.', deployment: 'groq/llama-cheap', routing: { deployment: 'groq/llama-cheap', model: 'groq/llama-cheap', branch: 'cheapest' } });
    expect(answer.routing?.policy).toMatch(/^policy-\d+$/);
  });

  it('fastest measures each deployment once, then keeps to the one quickest to its first token', async () => {
    delays = { openai: 250, groq: 10 };
    const { registry } = registryWith({ tiers: { instant: { strategy: 'fastest', exploration: 0, deployments: both } } });
    const first = [await ask(registry), await ask(registry)];
    expect(first.map((answer) => answer.routing?.branch)).toEqual(['explore', 'explore']);
    const later = await Promise.all(Array.from({ length: 5 }, () => ask(registry)));
    expect(later.map((answer) => `${answer.routing?.deployment} ${answer.routing?.branch}`)).toEqual(Array(5).fill('groq/llama-cheap fastest'));
    // What it measured is reported.
    const instant = registry.routing()?.tiers.instant;
    expect(instant?.deployments.map((deployment) => deployment.timeToFirstTokenMs! > 200)).toEqual([true, false]);
  });

  it('weighted splits callers by weight, each caller always on the same arm', async () => {
    const { registry } = registryWith({
      name: 'ab-test',
      tiers: { instant: { strategy: 'weighted', deployments: [{ id: 'control', provider: 'openai', model: 'gpt-dear', weight: 70 }, { id: 'candidate', provider: 'groq', model: 'llama-cheap', weight: 30 }] } },
    });
    const arms = await Promise.all(Array.from({ length: 200 }, async (_, user) => (await ask(registry, `usr_${user}`)).routing?.deployment));
    const control = arms.filter((arm) => arm === 'control').length;
    expect(control).toBeGreaterThan(120);
    expect(control).toBeLessThan(160);
    for (const user of [3, 17, 111]) {
      const again = await Promise.all([ask(registry, `usr_${user}`), ask(registry, `usr_${user}`)]);
      expect(again.map((answer) => answer.routing?.deployment)).toEqual([arms[user], arms[user]]);
      expect(again[0]?.routing).toMatchObject({ policy: 'ab-test', branch: 'weighted' });
    }
  });

  it('fails over from the chosen deployment to the next, telling each attempt, and records the one that served', async () => {
    failing.groq = true;
    const { registry } = registryWith({ tiers: { instant: { strategy: 'cheapest', deployments: both } } });
    const answer = await ask(registry);
    expect(answer.text).toBe('Answered by openai.');
    expect(answer.heard.map((choice) => `${choice.deployment} ${choice.branch}`)).toEqual(['groq/llama-cheap cheapest', 'openai/gpt-dear failover']);
    expect(answer.routing).toMatchObject({ deployment: 'openai/gpt-dear', branch: 'failover' });
  });

  it('leaves a tier the policy does not name to the failover chain', async () => {
    const { registry } = registryWith({ tiers: { thinking: { strategy: 'cheapest', deployments: both } } });
    const answer = await ask(registry);
    expect(answer).toMatchObject({ text: 'Answered by openai.', routing: undefined });
  });
});

describe('the policy file', () => {
  it('refuses a file that is missing, not JSON, malformed, or names a provider without a key, saying where', () => {
    const refusal = (file: string) => {
      try {
        readRoutingPolicy(file, ['openai', 'groq']);
        return 'accepted';
      } catch (error) {
        return (error as Error).message;
      }
    };
    // The file by name only: the refusal is shown to API callers, who need not know the server's folders.
    expect(refusal(join(dir, 'nothing.json'))).toBe('ROUTING_POLICY_FILE nothing.json was refused: there is no such file.');
    const notJson = join(dir, 'broken.json');
    writeFileSync(notJson, '{ "tiers": ');
    expect(refusal(notJson)).toContain('was refused: it is not JSON');
    expect(refusal(policyFile({ tiers: { instant: { strategy: 'fastest', deployments: [{ provider: 'openai', model: 'gpt-dear', weight: 'high' }] } } }))).toMatch(
      /was refused: tiers\.instant\.deployments\[0\]\.weight: .*number/,
    );
    expect(refusal(policyFile({ tiers: { instant: { strategy: 'priority', deployments: [{ provider: 'anthropic', model: 'claude-haiku-4-5' }] } } }))).toContain(
      'tiers.instant.deployments[0].provider: anthropic is not configured (set its API key)',
    );
  });

  it('takes in a change made between reading the file and watching it', async () => {
    const { registry, routing } = registryWith({ tiers: { instant: { strategy: 'cheapest', deployments: both } } });
    // A different size, so the change shows whatever the clock's resolution.
    writeFileSync(routing.status().file, JSON.stringify({ name: 'changed-early', tiers: { instant: { strategy: 'priority', deployments: both } } }));
    routing.watch({ intervalMs: 50 });
    try {
      expect(await waitUntil(() => registry.routing()?.policy === 'changed-early', 5000)).toBe(true);
      expect((await ask(registry)).routing).toMatchObject({ deployment: 'openai/gpt-dear', branch: 'priority' });
    } finally {
      routing.close();
    }
  });

  it('takes a changed file into force for the next request; a bad change is refused and the policy before it stays', async () => {
    const { registry, routing } = registryWith({ tiers: { instant: { strategy: 'cheapest', deployments: both } } });
    const file = routing.status().file;
    expect((await ask(registry)).routing?.deployment).toBe('groq/llama-cheap');
    const heard: string[] = [];
    routing.watch({ intervalMs: 50, onReloaded: (loaded) => heard.push(`in force: ${loaded.policy.tiers.instant?.strategy}`), onRefused: (message) => heard.push(message) });
    try {
      // Written the moment watching starts (fs.watchFile took its first look after this, and never saw
      // it), and of a different size, so the change shows whatever the clock's resolution.
      writeFileSync(file, JSON.stringify({ name: 'changed', tiers: { instant: { strategy: 'priority', deployments: both } } }));
      expect(await waitUntil(() => heard.length === 1, 5000)).toBe(true);
      expect(heard[0]).toBe('in force: priority');
      expect((await ask(registry)).routing).toMatchObject({ deployment: 'openai/gpt-dear', branch: 'priority' });

      writeFileSync(file, JSON.stringify({ tiers: { instant: { strategy: 'random', deployments: both } } }));
      expect(await waitUntil(() => heard.length === 2, 5000)).toBe(true);
      expect(heard[1]).toContain('tiers.instant.strategy: expected one of priority, cheapest, fastest, weighted');
      // Traffic carries on under the policy before it, and /v1/providers says why the change was refused.
      expect((await ask(registry)).routing).toMatchObject({ deployment: 'openai/gpt-dear', branch: 'priority' });
      expect(registry.routing()).toMatchObject({ tiers: { instant: { strategy: 'priority' } }, error: expect.stringContaining('tiers.instant.strategy') });
    } finally {
      routing.close();
    }
  });
});
