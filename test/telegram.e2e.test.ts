import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { commandSpecs } from '../core/contracts/commands.ts';
import { startFakeOpenAI, streamedAnswer, withEmbeddings } from './fakes/fake-openai.ts';
import type { FakeServer } from './fakes/fake-server.ts';
import { startFakeTelegram, type FakeTelegram } from './fakes/fake-telegram.ts';
import { startPlatformProcess, type PlatformProcess } from './helpers/platform.ts';
import { waitUntil } from './helpers/processes.ts';

/**
 * The Telegram adapter in the whole platform (`npm start`'s process), against a fake Bot API that
 * checks HTML as Telegram does, and a fake model server whose answers each test scripts.
 */
const answer = (text: string, options?: Parameters<typeof streamedAnswer>[1]) => withEmbeddings(streamedAnswer(text, options));
let upstream: FakeServer & { baseURL: string };
let telegram: FakeTelegram;
let platform: PlatformProcess;

let chatId = 100;
/** A fresh private chat per test, so each test reads only its own messages. */
const nextChat = () => ++chatId;

const modelCalls = () => upstream.requests.filter((request) => request.url.endsWith('/chat/completions')).length;

beforeAll(async () => {
  upstream = await startFakeOpenAI(answer('Hello!'));
  telegram = await startFakeTelegram();
  platform = await startPlatformProcess({
    OPENAI_API_KEY: 'sk-upstream-key-12345678',
    OPENAI_BASE_URL: upstream.baseURL,
    OPENAI_INSTANT_MODEL: 'fake-instant',
    OPENAI_THINKING_MODEL: 'fake-thinker',
    TELEGRAM_BOT_TOKEN: telegram.token,
    TELEGRAM_API_ROOT: telegram.apiRoot,
    TELEGRAM_POLL_TIMEOUT_SECONDS: '1',
    CHAT_EDIT_INTERVAL_MS: '200',
    ACCESS_MODE: 'open',
    ADMIN_USERS: 'telegram:9001',
  });
}, 60_000);
afterAll(async () => {
  await platform?.stop();
  await telegram?.close();
  await upstream?.close();
});
beforeEach(() => {
  upstream.handle(answer('Hello!'));
  telegram.clearFailures();
});

/** Waits until the chat's messages satisfy `done`; returns them. */
async function settled(chat: number, done: (texts: string[]) => boolean, timeoutMs = 15_000) {
  const ok = await waitUntil(() => done(telegram.messages(chat).map((message) => message.visible)), timeoutMs);
  if (!ok) throw new Error(`chat ${chat} never settled; it shows ${JSON.stringify(telegram.messages(chat).map((m) => m.visible))}\n${platform.output().slice(-3000)}`);
  // Anything that would arrive twice arrives within this.
  await new Promise((resolve) => setTimeout(resolve, 700));
  return telegram.messages(chat);
}

describe('Telegram adapter', () => {
  it('registers its commands and answers a private message as a threaded reply, with typing shown', async () => {
    expect(telegram.calls('setMyCommands')[0]?.commands).toEqual(commandSpecs.map(({ name }) => expect.objectContaining({ command: name })));
    const chat = nextChat();
    telegram.pushText('Hi there', { userId: chat });
    const [message, ...more] = await settled(chat, (texts) => texts.includes('Hello!'));
    expect(more).toEqual([]);
    expect(message).toMatchObject({ visible: 'Hello!', parseMode: 'HTML' });
    const question = telegram.calls('getUpdates').length && message!.replyTo;
    expect(question).toBeGreaterThan(0);
    expect(telegram.calls('sendChatAction').some((call) => String(call.chat_id) === String(chat) && call.action === 'typing')).toBe(true);
  });

  it('answers an update delivered twice once, and calls the model once', async () => {
    const chat = nextChat();
    const before = modelCalls();
    telegram.pushText('Once, please', { userId: chat, updateId: 777_001 });
    await settled(chat, (texts) => texts.includes('Hello!'));
    telegram.pushText('Once, please', { userId: chat, updateId: 777_001 }); // Telegram redelivers
    const messages = await settled(chat, () => true, 1000);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(telegram.messages(chat)).toHaveLength(1);
    expect(messages).toHaveLength(1);
    expect(modelCalls() - before).toBe(1);
  });

  it('splits a 10,000-character answer with code blocks into valid messages of at most 4096 characters', async () => {
    const code = Array.from({ length: 120 }, (_, i) => `const value${i} = compute(${i}) < limit && ok; // line ${i}`).join('\n');
    const prose = Array.from({ length: 40 }, (_, i) => `Paragraph ${i} explains **step ${i}** & why a < b holds.`).join('\n\n');
    const text = `# Plan\n\n${prose}\n\n\`\`\`ts\n${code}\n\`\`\`\n\nAnd finally:\n\n\`\`\`\n${code}\n\`\`\``;
    expect(text.length).toBeGreaterThan(10_000);
    upstream.handle(answer(text, { size: 500 }));
    const chat = nextChat();
    telegram.pushText('Write it all', { userId: chat });
    const messages = await settled(chat, (texts) => texts.join('\n').includes('// line 119') && texts.join('').split('// line 119').length === 3, 30_000);
    expect(messages.length).toBeGreaterThanOrEqual(3);
    for (const message of messages) {
      // The fake refused any message Telegram would refuse: every one here parsed as HTML and fits.
      expect(message.parseMode).toBe('HTML');
      expect(message.visible.length).toBeLessThanOrEqual(4096);
      // A code block cut between messages is closed in one and reopened in the next.
      expect(message.text.split('<pre>').length).toBe(message.text.split('</pre>').length);
    }
    const visible = messages.map((message) => message.visible).join('\n');
    for (let i = 0; i < 120; i += 1) expect(visible).toContain(`const value${i} = compute(${i}) < limit && ok; // line ${i}`);
    expect(visible).toContain('Paragraph 39 explains step 39 & why a < b holds.');
    // Only the first message threads to the question; the rest follow it.
    expect(messages[0]!.replyTo).toBeDefined();
    expect(messages.slice(1).every((message) => message.replyTo === undefined)).toBe(true);
  });

  it('escapes <, > and & from the model so the message is never broken, and shows its HTML as text', async () => {
    const text = 'If a < b && c > d then <script>alert("x")</script> & <b>not bold</b> &amp; done';
    upstream.handle(answer(text));
    const chat = nextChat();
    telegram.pushText('Compare', { userId: chat });
    const [message, ...more] = await settled(chat, (texts) => texts.some((t) => t.endsWith('done')));
    expect(more).toEqual([]);
    expect(message!.parseMode).toBe('HTML');
    expect(message!.visible).toBe(text);
  });

  it('re-sends a message Telegram rejects for its formatting as plain text, never losing it', async () => {
    upstream.handle(answer('Plain **fallback** works'));
    const chat = nextChat();
    // Every HTML send is refused for its markup (the live message's and the final one's alike).
    const refused = { error_code: 400, description: 'Bad Request: can\'t parse entities: Unsupported start tag "b" at byte offset 6' };
    telegram.failNext('sendMessage', refused, 2, (body) => body.parse_mode === 'HTML');
    telegram.pushText('Format this', { userId: chat });
    const [message, ...more] = await settled(chat, (texts) => texts.length > 0);
    expect(more).toEqual([]);
    expect(message).toMatchObject({ visible: 'Plain fallback works', parseMode: undefined });
  });

  it('streams as edits of one message, and waits out a 429 on an edit for its retry_after', async () => {
    const text = Array.from({ length: 30 }, (_, i) => `word${i}`).join(' ');
    upstream.handle(answer(text, { size: 8, delayMs: 120 }));
    const chat = nextChat();
    const editsBefore = telegram.calls('editMessageText').length;
    telegram.failNext('editMessageText', { error_code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } });
    telegram.pushText('Stream it', { userId: chat });
    const [message, ...more] = await settled(chat, (texts) => texts.includes(text));
    expect(more).toEqual([]);
    expect(message!.edits).toBeGreaterThanOrEqual(1);
    const edits = telegram.requests.filter((request) => request.url.endsWith('/editMessageText')).slice(editsBefore);
    const refused = edits[0]!;
    const next = edits[1]!;
    expect(next.at - refused.at).toBeGreaterThanOrEqual(950);
  });

  it('answers a voice message or a sticker with what it can read instead of dropping it', async () => {
    const chat = nextChat();
    telegram.push({ message: { message_id: 5, from: { id: chat, is_bot: false, first_name: 'V' }, chat: { id: chat, type: 'private' }, date: Math.floor(Date.now() / 1000), voice: { file_id: 'x', duration: 3 } } });
    const [message] = await settled(chat, (texts) => texts.length > 0);
    expect(message!.visible).toMatch(/text messages only.*voice messages/);
  });

  it('in a group, answers only when mentioned, replied to or given a command', async () => {
    const group = -5000 - nextChat();
    const before = modelCalls();
    telegram.pushText('just chatting among ourselves', { userId: 7, chatId: group, chatType: 'supergroup' });
    telegram.pushText(`@${telegram.bot.username} what is 2+2?`, { userId: 7, chatId: group, chatType: 'supergroup', entities: [{ type: 'mention', offset: 0, length: telegram.bot.username.length + 1 }] });
    const messages = await settled(group, (texts) => texts.length > 0);
    expect(messages).toHaveLength(1);
    expect(modelCalls() - before).toBe(1);
    const asked = upstream.requests.at(-1)!.body as { messages: { role: string; content: string }[] };
    expect(asked.messages.at(-1)!.content).toBe('what is 2+2?');
  });

  it('remembers the chat, forgets it after /new, and sends the message after /think to the thinking model', async () => {
    const chat = nextChat();
    const turn = async (message: string, count: number) => {
      telegram.pushText(message, { userId: chat });
      return settled(chat, (texts) => texts.length === count);
    };
    const asked = () => {
      const body = upstream.requests.at(-1)!.body as { model: string; messages: { role: string; content: string }[] };
      return { model: body.model, turns: body.messages.filter((message) => message.role !== 'system').map((message) => message.content) };
    };
    await turn('My name is Ada.', 1);
    await turn('What is my name?', 2);
    expect(asked()).toEqual({ model: 'fake-instant', turns: ['My name is Ada.', 'Hello!', 'What is my name?'] });
    const [, , fresh] = await turn('/new', 3);
    expect(fresh!.visible).toBe('Started a fresh conversation: I no longer see what came before.');
    await turn('/think', 4);
    await turn('And now?', 5);
    expect(asked()).toEqual({ model: 'fake-thinker', turns: ['And now?'] });
    await turn('Once more', 6);
    expect(asked()).toEqual({ model: 'fake-instant', turns: ['And now?', 'Hello!', 'Once more'] });
  });

  it("adds a document an admin sends with /docs add to the knowledge base, and answers from it; other files are not read", async () => {
    const admin = 9001;
    telegram.pushDocument('/docs add', { name: 'canteen.md', mimeType: 'text/markdown', content: '# Canteen\n\nThe canteen serves lentil soup every Tuesday at noon.' }, { userId: admin });
    const [added] = await settled(admin, (texts) => texts.length > 0);
    expect(added!.visible).toMatch(/^Added canteen\.md to default as doc_\w+: 1 chunks/);

    const chat = nextChat();
    telegram.pushText('When does the canteen serve lentil soup?', { userId: chat });
    await settled(chat, (texts) => texts.length > 0);
    const asked = upstream.requests.filter((request) => request.url.endsWith('/chat/completions')).at(-1)!.body as { messages: { role: string; content: string }[] };
    expect(asked.messages.filter((message) => message.role === 'system').map((message) => message.content).join('\n')).toMatch(/\[1\] canteen\.md\n<untrusted-data source="canteen\.md">\n# Canteen/);

    // Without the command, a file is not opened; from someone not an admin, the command is refused.
    const other = nextChat();
    telegram.pushDocument('here is a file', { name: 'x.md', content: 'x' }, { userId: other });
    telegram.pushDocument('/docs add', { name: 'y.md', content: 'y' }, { userId: other });
    const replies = await settled(other, (texts) => texts.length === 2);
    expect(replies.map((message) => message.visible).sort()).toEqual([expect.stringMatching(/text messages only.*documents/), expect.stringMatching(/^⚠️ Only an administrator/)]);
  });

  it('shows its polling loop in /health and its metrics at /metrics', async () => {
    const health = (await (await fetch(`${platform.url}/health`)).json()) as { checks: Record<string, { status: string; detail?: string }> };
    expect(health.checks.telegram).toMatchObject({ status: 'ok' });
    expect(health.checks.telegram!.detail).toMatch(/@gateway_test_bot, polling ok/);
    const metrics = await (await fetch(`${platform.url}/metrics`)).text();
    expect(metrics).toMatch(/gateway_adapter_up\{adapter="telegram"\} 1/);
    expect(metrics).toMatch(/gateway_chat_messages_total\{platform="telegram",outcome="sent"\} \d+/);
  });

  it('never leaks the bot token into its logs', () => {
    expect(platform.output()).not.toContain(telegram.token.split(':')[1]);
  });
});
