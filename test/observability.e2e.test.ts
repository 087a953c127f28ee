import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunk, openAIError, startFakeOpenAI, streamChunks } from './fakes/fake-openai.ts';
import { startFakeTelegram, type FakeTelegram } from './fakes/fake-telegram.ts';
import { root, startPlatformProcess, type PlatformProcess } from './helpers/platform.ts';
import { waitUntil } from './helpers/processes.ts';

/**
 * One platform, run the way an operator runs it, observed from outside: the request id in every log line
 * and record of a request, usage and cost, /metrics, the audit chain, and no configured secret anywhere
 * it logged or stored.
 */
const secrets = {
  OPENAI_API_KEY: 'sk-obs-provider-key-5a7f3c9e1b2d4f60',
  JWT_SECRET: 'obs-jwt-secret-2f8c1e7a9b3d5f0c6e4a8b2d7f1c3e5a',
  TELEGRAM_BOT_TOKEN: '987654:OBS-telegram-secret_token-x1y2',
};
// Each answer: 1 000 prompt tokens (400 cached), 500 completion tokens (200 reasoning), from gpt-4o-mini.
const usage = { prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500, prompt_tokens_details: { cached_tokens: 400 }, completion_tokens_details: { reasoning_tokens: 200 } };
// $0.15 per million input, $0.075 cached, $0.60 output.
const costPerAnswer = (600 * 0.15 + 400 * 0.075 + 500 * 0.6) / 1e6;

let upstream: Awaited<ReturnType<typeof startFakeOpenAI>>;
let telegram: FakeTelegram;
let platform: PlatformProcess;
let dataDir: string;
let admin: string;
let failNext = 0;

const api = (path: string, init: RequestInit & { token?: string; requestId?: string } = {}) =>
  fetch(`${platform.url}${path}`, {
    ...init,
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${init.token ?? admin}`,
      ...(init.requestId ? { 'x-request-id': init.requestId } : {}),
      ...init.headers,
    },
  });
const chat = (token: string, extra: Record<string, unknown> = {}, requestId?: string) =>
  api('/v1/chat/completions', { method: 'POST', token, requestId, body: JSON.stringify({ model: 'default', messages: [{ role: 'user', content: 'How are you?' }], ...extra }) });
const logLines = () => platform.output().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);

beforeAll(async () => {
  upstream = await startFakeOpenAI((request, response) => {
    if (failNext > 0) {
      failNext -= 1;
      return openAIError(response, 500, 'The server had an error while processing your request.');
    }
    const body = request.body as { stream?: boolean };
    if (!body.stream) throw new Error('the gateway streams every call');
    return streamChunks(response, [chunk({ role: 'assistant', content: 'Fine, ' }), chunk({ content: 'thanks.' }), chunk({}, { finishReason: 'stop' }), chunk(null, { usage })]);
  });
  telegram = await startFakeTelegram({ token: secrets.TELEGRAM_BOT_TOKEN });
  dataDir = mkdtempSync(join(tmpdir(), 'gw-obs-'));
  platform = await startPlatformProcess({
    ...secrets,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'trace',
    OPENAI_BASE_URL: upstream.baseURL,
    OPENAI_INSTANT_MODEL: 'gpt-4o-mini',
    LLM_MAX_RETRIES: '2',
    TELEGRAM_API_ROOT: telegram.apiRoot,
    TELEGRAM_POLL_TIMEOUT_SECONDS: '1',
    ACCESS_MODE: 'open',
    ADMIN_USERS: 'http:ops',
  });
  admin = platform.token('ops');
}, 60_000);

afterAll(async () => {
  await platform?.stop();
  await telegram?.close();
  await upstream?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('observability', () => {
  it('carries one request id through the adapter, the job, the provider call, the audit record and the error body', async () => {
    const answered = await chat(platform.token('rita'), {}, 'req-obs-trace-1');
    expect(answered.status).toBe(200);
    expect(answered.headers.get('x-request-id')).toBe('req-obs-trace-1');
    const lines = logLines();
    expect(lines.some((line) => line.reqId === 'req-obs-trace-1' && line.role === 'http')).toBe(true);
    expect(lines.find((line) => line.requestId === 'req-obs-trace-1' && line.msg === 'model call')).toMatchObject({
      role: 'worker',
      deployment: 'openai/gpt-4o-mini',
      usage: { inputTokens: 1000, outputTokens: 500, cachedInputTokens: 400, reasoningTokens: 200 },
    });
    // And in metrics, as the exemplar of the buckets it fell in, for a scraper that asks for OpenMetrics.
    const scraped = await fetch(`${platform.url}/metrics`, { headers: { accept: 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5' } });
    expect(scraped.headers.get('content-type')).toMatch(/^application\/openmetrics-text; version=1\.0\.0/);
    const openMetrics = await scraped.text();
    const exemplar = String.raw` # \{request_id="req-obs-trace-1"\} [\d.e-]+ [\d.]+$`;
    expect(openMetrics).toMatch(new RegExp(String.raw`^gateway_http_request_duration_seconds_bucket\{le="[^"]+",method="POST",route="/v1/chat/completions"\} \d+${exemplar}`, 'm'));
    expect(openMetrics).toMatch(new RegExp(String.raw`^gateway_overhead_seconds_bucket\{le="[^"]+"\} \d+${exemplar}`, 'm'));
    expect(openMetrics).toMatch(/^gateway_http_requests_total\{method="POST",route="\/v1\/chat\/completions",status="200"\} \d+$/m);
    expect(openMetrics.endsWith('# EOF\n')).toBe(true);
    // The plain format after it is unchanged: counters keep their `_total` names, and no exemplars.
    const plain = await (await fetch(`${platform.url}/metrics`)).text();
    expect(plain).toMatch(/^# TYPE gateway_http_requests_total counter$/m);
    expect(plain).not.toContain('request_id=');
    const audit = (await (await api('/v1/audit?action=chat.completion&limit=5')).json()) as { data: { requestId: string; detail: Record<string, unknown> }[] };
    expect(audit.data.find((record) => record.requestId === 'req-obs-trace-1')?.detail).toMatchObject({ model: 'openai/gpt-4o-mini', tier: 'instant' });

    const refused = await chat(platform.token('rita'), { model: 'openai-nope' }, 'req-obs-trace-2');
    expect(refused.status).toBe(404);
    expect(refused.headers.get('x-request-id')).toBe('req-obs-trace-2');
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/\(request id: req-obs-trace-2\)$/);
  });

  it('records usage and cost per completion, for each user and for admins grouped as they ask', async () => {
    const sam = platform.token('sam');
    for (let i = 0; i < 3; i += 1) expect((await chat(sam)).status).toBe(200);
    const own = (await (await api('/v1/usage?days=1', { token: sam })).json()) as { user: string; total: Record<string, number> };
    expect(own.total).toMatchObject({ requests: 3, errors: 0, inputTokens: 3000, outputTokens: 1500, cachedInputTokens: 1200, reasoningTokens: 600 });
    expect(own.total.costUsd).toBeCloseTo(3 * costPerAnswer, 10);

    // Someone else's usage is for admins.
    const refused = await api('/v1/usage?user=all', { token: sam });
    expect(refused.status).toBe(403);
    const bad = await api('/v1/usage?groupBy=colour');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/"colour" is not a grouping; expected a comma-separated list of user, provider, model, tier, platform, day/);

    const report = (await (await api(`/v1/usage?user=${own.user}&groupBy=provider,model,tier,day`)).json()) as { data: Record<string, unknown>[] };
    expect(report.data).toEqual([
      expect.objectContaining({ provider: 'openai', model: 'openai/gpt-4o-mini', tier: 'instant', day: new Date().toISOString().slice(0, 10), requests: 3, inputTokens: 3000 }),
    ]);
    const everyone = (await (await api('/v1/usage?groupBy=user')).json()) as { data: { user: string; requests: number }[] };
    expect(everyone.data.find((row) => row.user === own.user)?.requests).toBe(3);
  });

  it('stops a user and an API key at their dollar budgets, before calling the model', async () => {
    const spender = platform.token('spender');
    expect((await chat(spender)).status).toBe(200);
    const set = await api('/v1/users/http:spender', { method: 'PATCH', body: JSON.stringify({ limits: { budgetUsd: costPerAnswer * 1.5 } }) });
    expect(set.status).toBe(200);
    expect((await chat(spender)).status).toBe(200);
    const calls = upstream.requests.length;
    const stopped = await chat(spender);
    expect(stopped.status).toBe(402);
    expect(((await stopped.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'budget_exceeded', message: expect.stringMatching(/^You have spent your budget of \$0\.00 this month/) });
    expect(upstream.requests.length).toBe(calls);

    const minted = (await (await api('/v1/keys', { method: 'POST', body: JSON.stringify({ name: 'capped', budgetUsd: costPerAnswer / 2 }) })).json()) as { key: string; budgetUsd: number };
    expect(minted.budgetUsd).toBeCloseTo(costPerAnswer / 2, 12);
    expect((await chat(minted.key)).status).toBe(200);
    const keyStopped = await chat(minted.key);
    expect(keyStopped.status).toBe(402);
    expect(((await keyStopped.json()) as { error: { message: string } }).error.message).toMatch(/^This API key has spent its budget of \$0\.00/);
  });

  it('serves every promised metric at /metrics, with bounded labels', async () => {
    failNext = 1; // one 500, retried
    expect((await chat(platform.token('mia'))).status).toBe(200);
    const streamed = await chat(platform.token('mia'), { stream: true });
    expect(await streamed.text()).toContain('data: [DONE]');
    telegram.pushText('Hello from Telegram', { userId: 4242 });
    expect(await waitUntil(() => telegram.messages(4242).some((message) => message.visible === 'Fine, thanks.'), 15_000)).toBe(true);

    const text = await (await fetch(`${platform.url}/metrics`)).text();
    const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? Number.NaN);
    expect(value(/^gateway_http_requests_total\{method="POST",route="\/v1\/chat\/completions",status="200"\} (\d+)/m)).toBeGreaterThanOrEqual(5);
    expect(value(/^gateway_http_requests_total\{method="POST",route="\/v1\/chat\/completions",status="402"\} (\d+)/m)).toBe(2);
    expect(text).toMatch(/^gateway_http_request_duration_seconds_count\{method="POST",route="\/v1\/chat\/completions"\} \d+/m);
    for (const step of ['authenticate', 'rate-limit', 'infer', 'store-output', 'audit', 'reply']) {
      expect(value(new RegExp(`^gateway_pipeline_step_duration_seconds_count\\{step="${step}"\\} (\\d+)`, 'm'))).toBeGreaterThan(0);
    }
    expect(value(/^gateway_overhead_seconds_count (\d+)/m)).toBeGreaterThan(0);
    expect(value(/^gateway_provider_request_duration_seconds_count\{provider="openai",model="gpt-4o-mini",outcome="ok"\} (\d+)/m)).toBeGreaterThan(0);
    expect(value(/^gateway_provider_request_duration_seconds_count\{provider="openai",model="gpt-4o-mini",outcome="error"\} (\d+)/m)).toBe(1);
    expect(value(/^gateway_provider_time_to_first_token_seconds_count\{provider="openai",model="gpt-4o-mini"\} (\d+)/m)).toBeGreaterThan(0);
    expect(value(/^gateway_provider_errors_total\{provider="openai",model="gpt-4o-mini",code="provider_error"\} (\d+)/m)).toBe(1);
    expect(value(/^gateway_provider_retries_total\{provider="openai",model="gpt-4o-mini"\} (\d+)/m)).toBe(1);
    const answers = value(/^gateway_tokens_total\{provider="openai",model="gpt-4o-mini",kind="output"\} (\d+)/m) / 500;
    expect(answers).toBeGreaterThanOrEqual(9);
    expect(value(/^gateway_tokens_total\{provider="openai",model="gpt-4o-mini",kind="cached_input"\} (\d+)/m)).toBe(answers * 400);
    expect(value(/^gateway_tokens_total\{provider="openai",model="gpt-4o-mini",kind="reasoning"\} (\d+)/m)).toBe(answers * 200);
    expect(value(/^gateway_cost_usd_total\{provider="openai",model="gpt-4o-mini"\} ([\d.e-]+)/m)).toBeCloseTo(answers * costPerAnswer, 9);
    expect(value(/^gateway_rate_limited_total\{scope="user",kind="budget"\} (\d+)/m)).toBe(1);
    expect(value(/^gateway_rate_limited_total\{scope="key",kind="budget"\} (\d+)/m)).toBe(1);
    expect(value(/^gateway_jobs_total\{platform="telegram",outcome="ok"\} (\d+)/m)).toBe(1);
    expect(value(/^gateway_circuit_state\{provider="openai",model="gpt-4o-mini"\} (\d+)/m)).toBe(0);
    for (const state of ['waiting', 'active', 'delayed', 'failed']) expect(text).toMatch(new RegExp(`^gateway_queue_jobs\\{queue="inbound",state="${state}"\\} \\d+`, 'm'));
    expect(value(/^gateway_active_streams\{transport="sse"\} (\d+)/m)).toBe(0);
    expect(text).toMatch(/^gateway_websocket_connections \d+/m);
    expect(value(/^gateway_adapter_up\{adapter="telegram"\} (\d+)/m)).toBe(1);
    // Never a user, a request or a dollar figure as a label.
    expect(text).not.toMatch(/\{[^}]*(usr_|req-obs|req_|sam|rita)[^}]*\}/);
  }, 30_000);

  it('chains the audit trail so `npm run audit:verify` finds an edited record, and leaves no secret in any log or stored file', async () => {
    expect(await platform.stop()).toBe(0);
    const verify = () => spawnSync(process.execPath, ['scripts/bootstrap.mjs', 'audit:verify'], { cwd: root, env: { ...process.env, DATA_DIR: dataDir }, encoding: 'utf8' });
    const intact = verify();
    expect(intact.stdout).toMatch(/^OK: \d+ audit records in .*gateway\.db, chained without a break\.\nHead hash: [0-9a-f]{64}/m);
    expect(intact.status).toBe(0);

    // Every secret configured, looked for in everything the platform wrote: its output and DATA_DIR
    // (the store, the knowledge base, Redis's append-only file).
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else files.push(path);
      }
    };
    walk(dataDir);
    expect(files.some((file) => file.includes('appendonly'))).toBe(true);
    const written = [platform.output(), ...files.map((file) => readFileSync(file).toString('latin1'))];
    for (const [name, secret] of Object.entries(secrets)) {
      expect(written.filter((text) => text.includes(secret)), `${name} was written somewhere`).toEqual([]);
    }

    const db = new DatabaseSync(join(dataDir, 'gateway.db'));
    db.prepare("UPDATE audit SET detail = '{\"edited\":true}' WHERE seq = 2").run();
    db.close();
    const broken = verify();
    expect(broken.stdout).toMatch(/^BROKEN: the audit chain in .* breaks at record 2 \(.+\): its content does not match its hash: the record was changed\.\n1 records before it are intact\./);
    expect(broken.status).toBe(1);
  }, 60_000);
});
