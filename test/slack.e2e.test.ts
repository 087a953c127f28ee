import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeOpenAI, streamedAnswer, withEmbeddings } from './fakes/fake-openai.ts';
import type { FakeServer } from './fakes/fake-server.ts';
import { startFakeSlack, type FakeSlack, type FakeSlackMessage } from './fakes/fake-slack.ts';
import { startPlatformProcess, type PlatformProcess } from './helpers/platform.ts';
import { waitUntil } from './helpers/processes.ts';

/**
 * The Slack adapter in the whole platform (`npm start`'s process), Events API over HTTP: signed
 * requests posted to its receiver on PORT, bolt's WebClient against a fake Slack, a fake model server.
 */
let upstream: FakeServer & { baseURL: string };
let slack: FakeSlack;
let platform: PlatformProcess;

let person = 100;
/** A fresh person per test, with a direct-message channel of their own. */
const answer = (text: string, options?: Parameters<typeof streamedAnswer>[1]) => withEmbeddings(streamedAnswer(text, options));
const nextPerson = () => `U0P${++person}`;
const modelCalls = () => upstream.requests.filter((request) => request.url.endsWith('/chat/completions')).length;

beforeAll(async () => {
  upstream = await startFakeOpenAI(answer('Hello!'));
  slack = await startFakeSlack();
  platform = await startPlatformProcess({
    OPENAI_API_KEY: 'sk-upstream-key-12345678',
    OPENAI_BASE_URL: upstream.baseURL,
    OPENAI_INSTANT_MODEL: 'fake-instant',
    OPENAI_THINKING_MODEL: 'fake-thinker',
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_SIGNING_SECRET: slack.signingSecret,
    SLACK_API_URL: slack.apiUrl,
    CHAT_EDIT_INTERVAL_MS: '200',
    ACCESS_MODE: 'open',
    ADMIN_USERS: 'slack:T0FAKETEAM:U0ADMIN',
  });
}, 60_000);
afterAll(async () => {
  await platform?.stop();
  await slack?.close();
  await upstream?.close();
});
beforeEach(() => {
  upstream.handle(answer('Hello!'));
});

/** Posts a body to the receiver as Slack does: signed, JSON for events, a form for commands. */
async function post(body: Record<string, unknown>, { form = false, headers = {} as Record<string, string>, sign = {} as Parameters<FakeSlack['sign']>[1] } = {}) {
  const raw = form ? new URLSearchParams(body as Record<string, string>).toString() : JSON.stringify(body);
  const sent = Date.now();
  const response = await fetch(`${platform.url}/slack/events`, {
    method: 'POST',
    headers: { 'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json', ...slack.sign(raw, sign), ...headers },
    body: raw,
  });
  return { status: response.status, text: await response.text(), tookMs: Date.now() - sent };
}

async function settled(channel: string, done: (texts: string[]) => boolean, timeoutMs = 15_000): Promise<FakeSlackMessage[]> {
  const ok = await waitUntil(() => done(slack.messages(channel).map((message) => message.visible)), timeoutMs);
  if (!ok) throw new Error(`channel ${channel} never settled; it shows ${JSON.stringify(slack.messages(channel).map((m) => m.visible))}\n${platform.output().slice(-3000)}`);
  await new Promise((resolve) => setTimeout(resolve, 700));
  return slack.messages(channel);
}

describe('Slack adapter, Events API', () => {
  it("answers Slack's URL verification with its challenge", async () => {
    const { status, text } = await post({ type: 'url_verification', token: 'unused', challenge: 'c-3po' });
    expect(status).toBe(200);
    expect(JSON.parse(text)).toEqual({ challenge: 'c-3po' });
  });

  it('refuses a bad signature, or a timestamp more than 5 minutes old or ahead, with 401 and no job', async () => {
    const before = modelCalls();
    const user = nextPerson();
    const forged = await post(slack.event('hello', { dm: true, user }), { sign: { secret: 'f'.repeat(32) } });
    expect(forged.status).toBe(401);
    expect(JSON.parse(forged.text)).toMatchObject({ error: { code: 'invalid_token' } });
    const stale = await post(slack.event('hello', { dm: true, user }), { sign: { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 } });
    expect(stale.status).toBe(401);
    const ahead = await post(slack.event('hello', { dm: true, user }), { sign: { timestamp: Math.floor(Date.now() / 1000) + 6 * 60 } });
    expect(ahead.status).toBe(401);
    const unsigned = await fetch(`${platform.url}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(unsigned.status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(modelCalls()).toBe(before);
    expect(slack.messages(`D${user.slice(1)}`)).toEqual([]);
  });

  it('answers a replayed request (the same bytes, signature and timestamp) once', async () => {
    upstream.handle(answer('Only once.'));
    const before = modelCalls();
    const user = nextPerson();
    const raw = JSON.stringify(slack.event('Say it once', { dm: true, user }));
    const headers = { 'content-type': 'application/json', ...slack.sign(raw, {}) };
    const replays = await Promise.all(Array.from({ length: 3 }, () => fetch(`${platform.url}/slack/events`, { method: 'POST', headers, body: raw })));
    expect(replays.map((response) => response.status)).toEqual([200, 200, 200]);
    await settled(`D${user.slice(1)}`, (texts) => texts.includes('Only once.'));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(slack.messages(`D${user.slice(1)}`)).toHaveLength(1);
    expect(modelCalls() - before).toBe(1);
  });

  it('answers a direct message, streamed as chat.update edits of one message', async () => {
    const text = Array.from({ length: 30 }, (_, i) => `word${i}`).join(' ');
    upstream.handle(answer(text, { size: 8, delayMs: 100 }));
    const user = nextPerson();
    const { status } = await post(slack.event('Stream it', { dm: true, user }));
    expect(status).toBe(200);
    const [message, ...more] = await settled(`D${user.slice(1)}`, (texts) => texts.includes(text));
    expect(more).toEqual([]);
    expect(message!.edits).toBeGreaterThanOrEqual(1);
    expect(message!.threadTs).toBeUndefined();
    expect(slack.calls('chat.postMessage').at(-1)).toMatchObject({ unfurl_links: 'false', mrkdwn: 'true' });
  });

  it("answers a mention in a thread under it, in mrkdwn, and answers a retried event (X-Slack-Retry-Num) once", async () => {
    upstream.handle(answer('Use **bold**, [links](https://x.dev) & `code`.'));
    const before = modelCalls();
    const event = slack.event('How do I format?', { user: nextPerson(), channel: 'C0RETRY' });
    expect((await post(event)).status).toBe(200);
    const [message] = await settled('C0RETRY', (texts) => texts.some((text) => text.startsWith('Use')));
    expect((await post(event, { headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } })).status).toBe(200);
    expect((await post(event, { headers: { 'x-slack-retry-num': '2', 'x-slack-retry-reason': 'http_timeout' } })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(slack.messages('C0RETRY')).toHaveLength(1);
    expect(modelCalls() - before).toBe(1);
    expect(message!.text).toBe('Use *bold*, <https://x.dev|links> &amp; `code`.');
    expect(message!.threadTs).toBe((event.event as { ts: string }).ts);
  });

  it('acknowledges a slash command in under 3 seconds while the model is slow, then answers through its response_url', async () => {
    const text = 'A considered answer, after a while.';
    upstream.handle(answer(text, { size: 6, delayMs: 500 }));
    const command = slack.command('/ask', 'Take your time', { user: nextPerson(), channel: 'C0SLOW' });
    const { status, tookMs } = await post(command, { form: true });
    expect(status).toBe(200);
    expect(tookMs).toBeLessThan(3000);
    const [response, ...more] = await settled('C0SLOW', (texts) => texts.includes(text));
    expect(more).toEqual([]);
    expect(response!.responseType).toBe('in_channel');
  });

  it('answers /usage privately, and refuses an unknown command at once', async () => {
    const usage = await post(slack.command('/usage', '', { user: nextPerson(), channel: 'C0PRIVATE' }), { form: true });
    expect(usage.status).toBe(200);
    const [answered] = await settled('C0PRIVATE', (texts) => texts.some((text) => text.startsWith('Last 24 hours')));
    expect(answered!.responseType).toBe('ephemeral');
    const unknown = await post(slack.command('/dance', '', { user: nextPerson() }), { form: true });
    expect(JSON.parse(unknown.text)).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining("I don't know /dance") });
  });

  it("lets an admin block someone named by mention, confirmed with the answer's button, pressed over HTTP", async () => {
    const person = nextPerson();
    await post(slack.event('Hi there', { dm: true, user: person }));
    await settled(`D${person.slice(1)}`, (texts) => texts.includes('Hello!'));
    // should_escape: Slack writes the mention as <@id|name>, which the adapter turns into the person's identity.
    expect((await post(slack.command('/block', `<@${person}|someone>`, { user: 'U0ADMIN', channel: 'C0BLOCK' }), { form: true })).status).toBe(200);
    const [question] = await settled('C0BLOCK', (texts) => texts.length > 0);
    expect(question!.visible).toContain(`slack:T0FAKETEAM:${person}`);
    expect(question!.buttons?.map((button) => [button.label, button.style])).toEqual([
      ['Confirm', 'danger'],
      ['Cancel', undefined],
    ]);
    const press = slack.press('C0BLOCK', 'Confirm', { user: 'U0ADMIN' });
    const raw = slack.interactionForm(press);
    const pressed = await fetch(`${platform.url}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...slack.sign(raw) }, body: raw });
    expect(pressed.status).toBe(200);
    const [, done] = await settled('C0BLOCK', (texts) => texts.length > 1);
    expect(done!.visible).toMatch(/^Blocked/);
    expect(slack.requests.filter((request) => request.url === new URL(String(press.response_url)).pathname)).toHaveLength(1);
  });

  it('splits a long answer within 4000 characters, in the thread, code blocks closed', async () => {
    const code = Array.from({ length: 150 }, (_, i) => `if (a${i} < b && c) return ${i}; // line ${i}`).join('\n');
    upstream.handle(answer(`Here:\n\n\`\`\`js\n${code}\n\`\`\``, { size: 1000 }));
    const event = slack.event('All the code', { user: nextPerson(), channel: 'C0LONG' });
    await post(event);
    const messages = await settled('C0LONG', (texts) => texts.join('\n').includes('// line 149'), 30_000);
    expect(messages.length).toBeGreaterThanOrEqual(2);
    for (const message of messages) {
      expect(message.text.length).toBeLessThanOrEqual(4000);
      expect(message.text.split('```').length % 2).toBe(1);
      expect(message.threadTs).toBe((event.event as { ts: string }).ts);
    }
    expect(messages.map((message) => message.visible).join('\n')).toContain('if (a7 < b && c) return 7; // line 7');
  });

  it('waits out a 429 from chat.postMessage for its Retry-After, posting once', async () => {
    slack.failNext('chat.postMessage', { retryAfterSeconds: 1 });
    const user = nextPerson();
    const posts = () => slack.requests.filter((request) => request.url === '/api/chat.postMessage');
    const before = posts().length;
    await post(slack.event('Rate me', { dm: true, user }));
    const [message, ...more] = await settled(`D${user.slice(1)}`, (texts) => texts.includes('Hello!'));
    expect(more).toEqual([]);
    expect(message!.visible).toBe('Hello!');
    const [limited, retried] = posts().slice(before);
    expect(retried!.at - limited!.at).toBeGreaterThanOrEqual(950);
  });

  it("adds files an admin shares with a mention and /docs add to the team's knowledge base, read with the bot token", async () => {
    const files = [{ name: 'expenses.md', mimetype: 'text/markdown', content: '# Expenses\n\nExpense reports are due on the fifth of each month.' }];
    expect((await post(slack.event('/docs add', { user: 'U0ADMIN', channel: 'C0DOCS', files }))).status).toBe(200);
    const [added] = await settled('C0DOCS', (texts) => texts.length > 0);
    expect(added!.visible).toMatch(/^Added expenses\.md to slack:T0FAKETEAM as doc_\w+: 1 chunks/);

    expect((await post(slack.event('When are expense reports due?', { user: nextPerson(), channel: 'C0ASK' }))).status).toBe(200);
    await settled('C0ASK', (texts) => texts.length > 0);
    const asked = upstream.requests.filter((request) => request.url.endsWith('/chat/completions')).at(-1)!.body as { messages: { role: string; content: string }[] };
    expect(asked.messages.filter((message) => message.role === 'system').map((message) => message.content).join('\n')).toContain('[1] expenses.md');
  });

  it('shows itself in /health and /metrics, and never logs its tokens or signing secret', async () => {
    const health = (await (await fetch(`${platform.url}/health`)).json()) as { checks: Record<string, { status: string; detail?: string }> };
    expect(health.checks.slack).toMatchObject({ status: 'ok', detail: '@assistant in Fake Team, Events API at /slack/events' });
    const metrics = await (await fetch(`${platform.url}/metrics`)).text();
    expect(metrics).toMatch(/gateway_chat_events_total\{platform="slack",outcome="job"\} \d+/);
    for (const secret of [slack.botToken, slack.signingSecret]) expect(platform.output()).not.toContain(secret);
  });
});
