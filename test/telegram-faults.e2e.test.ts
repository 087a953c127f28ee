import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../queue/redis-server.ts';
import { startFakeOpenAI, streamedAnswer as answer } from './fakes/fake-openai.ts';
import type { FakeServer } from './fakes/fake-server.ts';
import { startFakeTelegram, type FakeTelegram } from './fakes/fake-telegram.ts';
import { startPlatformProcess, type PlatformProcess } from './helpers/platform.ts';
import { childPids, isAlive, waitUntil } from './helpers/processes.ts';
import { useTestRedis } from './helpers/redis.ts';

/** The Telegram adapter when things go wrong: forged webhooks, a worker killed mid-answer, a poll that hangs. */
const redis = useTestRedis();
const dataDir = mkdtempSync(join(tmpdir(), 'gw-tg-faults-'));
const running: PlatformProcess[] = [];
let upstream: FakeServer & { baseURL: string };
const shared = () => ({
  REDIS_URL: redis.url,
  DATA_DIR: dataDir,
  OPENAI_API_KEY: 'sk-upstream-key-12345678',
  OPENAI_BASE_URL: upstream.baseURL,
  ACCESS_MODE: 'open',
  CHAT_EDIT_INTERVAL_MS: '200',
  TELEGRAM_POLL_TIMEOUT_SECONDS: '1',
  JOB_LOCK_SECONDS: '2',
});
const start = async (env: Record<string, string>) => {
  const platform = await startPlatformProcess({ ...shared(), ...env });
  running.push(platform);
  return platform;
};

const modelCalls = () => upstream.requests.filter((request) => request.url.endsWith('/chat/completions')).length;

beforeAll(async () => {
  upstream = await startFakeOpenAI(answer('Hello!'));
});
// Each test's processes go with it: a worker left running would take the next test's jobs.
afterEach(async () => {
  await Promise.all(running.splice(0).map((platform) => platform.stop()));
});
afterAll(async () => {
  await upstream?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('Telegram under faults', () => {
  it('refuses a webhook call with a wrong secret (401, no job), a body that is no Update (400), and answers a genuine one', async () => {
    const telegram = await startFakeTelegram({ token: '222:webhook-bot-token', username: 'hook_bot' });
    const port = await freePort();
    const hook = `http://127.0.0.1:${port}/telegram/hook`;
    await start({ ROLES: 'worker,telegram', PORT: String(port), TELEGRAM_BOT_TOKEN: telegram.token, TELEGRAM_API_ROOT: telegram.apiRoot, TELEGRAM_WEBHOOK_URL: hook });
    expect(telegram.webhook()?.url).toBe(hook);
    const secret = telegram.webhook()!.secretToken!;
    expect(secret).toMatch(/^[\w-]{20,256}$/);
    const before = modelCalls();
    const update = { update_id: 9, message: { message_id: 1, from: { id: 31, is_bot: false, first_name: 'M' }, chat: { id: 31, type: 'private' }, date: Math.floor(Date.now() / 1000), text: 'forged' } };
    const post = (headers: Record<string, string>, body: unknown) =>
      fetch(hook, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

    const forged: Record<string, string>[] = [{}, { 'x-telegram-bot-api-secret-token': 'wrong' }, { 'x-telegram-bot-api-secret-token': `${secret.slice(0, -1)}x` }];
    for (const headers of forged) {
      const refused = await post(headers, update);
      expect(refused.status).toBe(401);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('invalid_token');
    }
    const malformed = await post({ 'x-telegram-bot-api-secret-token': secret }, { update_id: 'nine' });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { message: string } }).error.message).toMatch(/not a Telegram Update/);

    telegram.pushText('Genuine', { userId: 32 }); // the fake posts it to the webhook, with the secret
    expect(await waitUntil(() => telegram.messages(32).some((message) => message.visible === 'Hello!'), 15_000)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(telegram.messages(31)).toEqual([]);
    expect(modelCalls() - before).toBe(1);
    await telegram.close();
  });

  it('sends nothing twice when the worker is killed mid-reply and another takes the job over', async () => {
    const telegram = await startFakeTelegram({ token: '333:restart-bot-token', username: 'restart_bot' });
    await start({ ROLES: 'telegram', TELEGRAM_BOT_TOKEN: telegram.token, TELEGRAM_API_ROOT: telegram.apiRoot });
    const worker = await start({ ROLES: 'worker' });
    // Two messages' worth, so the live message and a second part are both at stake.
    const text = Array.from({ length: 160 }, (_, i) => `Sentence ${i} of the long answer.`).join(' ');
    expect(text.length).toBeGreaterThan(4096);
    upstream.handle(answer(text, { size: 60, delayMs: 60 })); // slow: about six seconds
    const before = modelCalls();
    telegram.pushText('Tell me everything', { userId: 41 });
    // Killed once the answer shows live in the chat.
    expect(await waitUntil(() => telegram.messages(41).length === 1 && telegram.messages(41)[0]!.edits >= 1, 15_000)).toBe(true);
    // The platform itself, not the bootstrap that started it: a crash, with no chance to finish.
    const [platformPid] = childPids(worker.child.pid!);
    process.kill(platformPid!, 'SIGKILL');
    expect(await waitUntil(() => !isAlive(platformPid!), 5000)).toBe(true);
    upstream.handle(answer(text, { size: 2000 })); // the retry answers at once
    await start({ ROLES: 'worker' });
    const done = await waitUntil(() => telegram.messages(41).map((message) => message.visible).join(' ').endsWith('Sentence 159 of the long answer.'), 30_000);
    expect(done).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const messages = telegram.messages(41);
    expect(messages).toHaveLength(2);
    expect(messages.map((message) => message.visible).join(' ')).toBe(text);
    expect(telegram.calls('sendMessage').filter((call) => String(call.chat_id) === '41')).toHaveLength(2);
    expect(modelCalls() - before).toBe(2); // the answer was cut, and asked for again by the new worker
    await telegram.close();
  });

  it('restarts a polling loop that hangs, shows it in /health and /metrics, and answers again after', async () => {
    upstream.handle(answer('Back again.'));
    const telegram = await startFakeTelegram({ token: '444:watchdog-bot-token', username: 'watch_bot' });
    const adapter = await start({ ROLES: 'worker,telegram,http', PORT: String(await freePort()), TELEGRAM_BOT_TOKEN: telegram.token, TELEGRAM_API_ROOT: telegram.apiRoot, ADAPTER_STALL_SECONDS: '2' });
    const health = async () => (await (await fetch(`${adapter.url}/health`)).json()) as { checks: { telegram: { status: string; detail: string } } };
    expect((await health()).checks.telegram.status).toBe('ok');
    telegram.stallPolling(true);
    expect(await waitUntil(() => adapter.output().includes('adapter stalled; restarting it'), 15_000)).toBe(true);
    telegram.stallPolling(false);
    let detail = '';
    expect(
      await waitUntil(() => {
        void health().then((body) => (detail = body.checks.telegram.status === 'ok' ? body.checks.telegram.detail : ''));
        return /polling ok; .* [1-9]\d* restarts/.test(detail);
      }, 10_000),
    ).toBe(true);
    const metrics = await (await fetch(`${adapter.url}/metrics`)).text();
    expect(metrics).toMatch(/gateway_adapter_restarts_total\{adapter="telegram"\} [1-9]/);
    telegram.pushText('Still there?', { userId: 51 });
    expect(await waitUntil(() => telegram.messages(51).some((message) => message.visible === 'Back again.'), 15_000)).toBe(true);
    await telegram.close();
  });
});
