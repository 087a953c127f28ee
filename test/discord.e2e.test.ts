import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { commandSpecs } from '../core/contracts/commands.ts';
import { startFakeDiscord, type FakeDiscord, type FakeDiscordMessage } from './fakes/fake-discord.ts';
import { startFakeOpenAI, streamedAnswer, withEmbeddings } from './fakes/fake-openai.ts';
import type { FakeServer } from './fakes/fake-server.ts';
import { startPlatformProcess, type PlatformProcess } from './helpers/platform.ts';
import { waitUntil } from './helpers/processes.ts';

/**
 * The Discord adapter in the whole platform (`npm start`'s process): discord.js against a fake Discord
 * (REST and gateway), a fake model server whose answers each test scripts.
 */
const answer = (text: string, options?: Parameters<typeof streamedAnswer>[1]) => withEmbeddings(streamedAnswer(text, options));
const admin = '800000000000000001';
let upstream: FakeServer & { baseURL: string };
let discord: FakeDiscord;
let platform: PlatformProcess;

let userId = 900_000_000_000_000_000n;
/** A fresh person per test, so each test reads only its own direct-message channel. */
const nextUser = () => String(++userId);

const modelCalls = () => upstream.requests.filter((request) => request.url.endsWith('/chat/completions')).length;
const messagePosts = (channelId: string) => discord.calls('POST', new RegExp(`^/channels/${channelId}/messages$`));

beforeAll(async () => {
  upstream = await startFakeOpenAI(answer('Hello!'));
  discord = await startFakeDiscord();
  platform = await startPlatformProcess({
    OPENAI_API_KEY: 'sk-upstream-key-12345678',
    OPENAI_BASE_URL: upstream.baseURL,
    OPENAI_INSTANT_MODEL: 'fake-instant',
    OPENAI_THINKING_MODEL: 'fake-thinker',
    DISCORD_BOT_TOKEN: discord.token,
    DISCORD_API_URL: discord.apiUrl,
    CHAT_EDIT_INTERVAL_MS: '200',
    ACCESS_MODE: 'open',
    ADMIN_USERS: `discord:${admin}`,
  });
}, 60_000);
afterAll(async () => {
  await platform?.stop();
  await discord?.close();
  await upstream?.close();
});
beforeEach(() => {
  upstream.handle(answer('Hello!'));
});

/** Waits until the channel's messages satisfy `done`; returns them. */
async function settled(channelId: string, done: (texts: string[]) => boolean, timeoutMs = 15_000): Promise<FakeDiscordMessage[]> {
  const ok = await waitUntil(() => done(discord.messages(channelId).map((message) => message.visible)), timeoutMs);
  if (!ok) throw new Error(`channel ${channelId} never settled; it shows ${JSON.stringify(discord.messages(channelId).map((m) => m.visible))}\n${platform.output().slice(-3000)}`);
  // Anything that would arrive twice arrives within this.
  await new Promise((resolve) => setTimeout(resolve, 700));
  return discord.messages(channelId);
}

/** A direct message from a new person; its channel id. */
async function dm(text: string, options: { userId?: string; id?: string } = {}) {
  const payload = discord.message(text, { dm: true, userId: options.userId ?? nextUser(), id: options.id });
  await discord.dispatch('MESSAGE_CREATE', payload);
  return String(payload.channel_id);
}

describe('Discord adapter', () => {
  it('identifies with the intents it needs, registers its slash commands, and answers a direct message as a reply', async () => {
    const intents = discord.sessions()[0]!.intents;
    // Guilds, GuildMessages, DirectMessages, MessageContent.
    for (const bit of [1 << 0, 1 << 9, 1 << 12, 1 << 15]) expect(intents & bit).toBe(bit);
    expect(discord.commands().map((command) => command.name)).toEqual(['ask', ...commandSpecs.map((spec) => spec.name)]);
    expect(discord.commands().find((command) => command.name === 'block')).toMatchObject({ options: [expect.objectContaining({ name: 'user', type: 6, required: true })] });
    expect(discord.commands().find((command) => command.name === 'ask')).toMatchObject({ options: [expect.objectContaining({ name: 'question', type: 3, required: true })] });

    const channel = await dm('Hi there');
    const [message, ...more] = await settled(channel, (texts) => texts.includes('Hello!'));
    expect(more).toEqual([]);
    expect(message!.replyTo).toBeDefined();
    expect(discord.calls('POST', new RegExp(`^/channels/${channel}/typing$`)).length).toBeGreaterThan(0);
    const [post] = messagePosts(channel);
    expect(post!.body).toMatchObject({ allowed_mentions: { parse: [] }, flags: 4 });
  });

  it('answers a message delivered twice (a gateway replay) once, and calls the model once', async () => {
    const before = modelCalls();
    const user = nextUser();
    const channel = await dm('Once, please', { userId: user, id: '1400000000000000001' });
    await settled(channel, (texts) => texts.includes('Hello!'));
    await dm('Once, please', { userId: user, id: '1400000000000000001' });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(discord.messages(channel)).toHaveLength(1);
    expect(modelCalls() - before).toBe(1);
  });

  it('never lets the model ping anyone: @everyone, @here, roles and users stay text', async () => {
    upstream.handle(answer('Hey @everyone and @here, ask <@123456789012345678> or <@&223456789012345678>.'));
    const channel = await dm('Ping them all');
    const [message] = await settled(channel, (texts) => texts.some((text) => text.includes('everyone')));
    expect(message!.pings).toEqual([]);
    expect(message!.visible).toBe('Hey @everyone and @here, ask <@123456789012345678> or <@&223456789012345678>.');
  });

  it('splits a long answer with code into messages of at most 2000 characters, each code block closed', async () => {
    const code = Array.from({ length: 80 }, (_, i) => `const value${i} = compute(${i}) * 2; // line ${i}`).join('\n');
    const prose = Array.from({ length: 30 }, (_, i) => `Paragraph ${i} explains **step ${i}** and why_it_matters.`).join('\n\n');
    const text = `# Plan\n\n${prose}\n\n\`\`\`ts\n${code}\n\`\`\``;
    expect(text.length).toBeGreaterThan(4000);
    upstream.handle(answer(text, { size: 500 }));
    const channel = await dm('Write it all');
    const messages = await settled(channel, (texts) => texts.join('\n').includes('// line 79'), 30_000);
    expect(messages.length).toBeGreaterThanOrEqual(3);
    for (const message of messages) {
      expect(message.content.length).toBeLessThanOrEqual(2000);
      expect(message.content.split('```').length % 2).toBe(1);
    }
    const visible = messages.map((message) => message.visible).join('\n');
    for (let i = 0; i < 80; i += 1) expect(visible).toContain(`const value${i} = compute(${i}) * 2; // line ${i}`);
    expect(visible).toContain('Paragraph 29 explains step 29 and why_it_matters.');
    expect(messages[0]!.replyTo).toBeDefined();
    expect(messages.slice(1).every((message) => message.replyTo === undefined)).toBe(true);
  });

  it("streams as edits of one message, waiting out Discord's 429 by its rate-limit bucket, posting nothing twice", async () => {
    const text = Array.from({ length: 30 }, (_, i) => `word${i}`).join(' ');
    upstream.handle(answer(text, { size: 8, delayMs: 120 }));
    const user = nextUser();
    const payload = discord.message('Stream it', { dm: true, userId: user });
    const channel = String(payload.channel_id);
    const edits = () => discord.calls('PATCH', new RegExp(`^/channels/${channel}/messages/\\d+$`));
    discord.rateLimitNext('POST', new RegExp(`^/channels/${channel}/messages$`), 1);
    await discord.dispatch('MESSAGE_CREATE', payload);
    const [message, ...more] = await settled(channel, (texts) => texts.includes(text));
    expect(more).toEqual([]);
    expect(message!.edits).toBeGreaterThanOrEqual(1);
    // The refused post was retried by discord.js after the bucket's reset, not sooner, and landed once.
    const [limited, retried] = messagePosts(channel);
    expect(retried!.at - limited!.at).toBeGreaterThanOrEqual(950);
    expect(edits().length).toBeGreaterThanOrEqual(1);
  });

  it('answers a mention in a server channel, and ignores talk that is not for it', async () => {
    const before = modelCalls();
    const channel = discord.channelId;
    const shownBefore = discord.messages(channel).length;
    await discord.dispatch('MESSAGE_CREATE', discord.message('just chatting among ourselves', { userId: nextUser() }));
    await discord.dispatch('MESSAGE_CREATE', discord.message('what is 2+2?', { userId: nextUser(), mentionBot: true }));
    const messages = await settled(channel, (texts) => texts.length > shownBefore);
    expect(messages.length - shownBefore).toBe(1);
    expect(modelCalls() - before).toBe(1);
    const asked = upstream.requests.at(-1)!.body as { messages: { role: string; content: string }[] };
    expect(asked.messages.at(-1)!.content).toBe('what is 2+2?');
  });

  it('acknowledges /ask within 3 seconds while the model is slow, then edits the response into the answer', async () => {
    const text = 'A considered answer, after a while.';
    upstream.handle(answer(text, { size: 6, delayMs: 500 }));
    const user = nextUser();
    const interaction = discord.interaction('ask', { question: 'Take your time' }, { dm: true, userId: user });
    const channel = String(interaction.channel_id);
    const sent = Date.now();
    await discord.dispatch('INTERACTION_CREATE', interaction);
    expect(await waitUntil(() => discord.acknowledged(String(interaction.id)) !== undefined, 3000)).toBe(true);
    const acknowledgedIn = discord.calls('POST', /^\/interactions\//).at(-1)!.at - sent;
    expect(acknowledgedIn).toBeLessThan(3000);
    expect(discord.acknowledged(String(interaction.id))).toBe(5);
    const [response, ...more] = await settled(channel, (texts) => texts.includes(text));
    expect(more).toEqual([]);
    expect(response!.interactionId).toBe(interaction.id);
    // The answer is the interaction's own response; nothing was posted to the channel besides.
    expect(messagePosts(channel)).toEqual([]);
    expect(discord.calls('PATCH', /^\/webhooks\/\d+\/[\w.-]+\/messages\/@original$/).length).toBeGreaterThanOrEqual(1);
  });

  it('answers /usage privately, and treats a private /link in a server as direct', async () => {
    const user = nextUser();
    const usage = discord.interaction('usage', {}, { userId: user });
    await discord.dispatch('INTERACTION_CREATE', usage);
    const shown = await settled(discord.channelId, (texts) => texts.some((text) => text.startsWith('Last 24 hours')));
    expect(shown.find((message) => message.interactionId === usage.id)).toMatchObject({ ephemeral: true });
    const link = discord.interaction('link', {}, { userId: user });
    await discord.dispatch('INTERACTION_CREATE', link);
    const linked = await settled(discord.channelId, () => discord.messages(discord.channelId).some((message) => message.interactionId === link.id && message.content !== ''));
    const answer = linked.find((message) => message.interactionId === link.id)!;
    expect(answer.ephemeral).toBe(true);
    // A link code is shown only where no one else can read it: here, because the answer is private.
    expect(answer.visible).toMatch(/[A-Z0-9]{4}-[A-Z0-9]{4}/);
  });

  it("asks an admin to confirm /block of a user picked, with buttons, and a press of Confirm blocks them", async () => {
    const target = nextUser();
    await settled(await dm('Hi, I am new', { userId: target }), (texts) => texts.includes('Hello!'));
    const channel = discord.channelId;
    const block = discord.interaction('block', { user: target }, { userId: admin });
    await discord.dispatch('INTERACTION_CREATE', block);
    const asked = await settled(channel, () => discord.messages(channel).some((message) => message.interactionId === block.id && message.buttons !== undefined));
    const question = asked.find((message) => message.interactionId === block.id)!;
    expect(question.visible).toMatch(/^Block .*\?/);
    expect(question.buttons).toEqual([expect.objectContaining({ label: 'Confirm', style: 4 }), expect.objectContaining({ label: 'Cancel', style: 2 })]);
    expect(question.buttons![0]!.customId).toMatch(/^\/confirm \S+$/);

    const press = await discord.press(channel, 'Confirm', { userId: admin });
    const answered = await settled(channel, () => discord.messages(channel).some((message) => message.interactionId === press.id && message.content !== ''));
    expect(discord.acknowledged(String(press.id))).toBe(5);
    expect(answered.find((message) => message.interactionId === press.id)!.visible).toMatch(/^Blocked: /);
  });

  it("adds files an admin attaches to /docs add to the server's knowledge base, searched from its channels", async () => {
    const channel = discord.channelId;
    const shownBefore = discord.messages(channel).length;
    const files = [{ name: 'oncall.md', contentType: 'text/markdown', content: '# On-call\n\nThe on-call rotation hands over every Monday at 10:00.' }];
    await discord.dispatch('MESSAGE_CREATE', discord.message('/docs add', { userId: admin, mentionBot: true, files }));
    const shown = await settled(channel, (texts) => texts.length > shownBefore);
    expect(shown.at(-1)!.visible).toMatch(new RegExp(`^Added oncall\\.md to discord:${discord.guildId} as doc_\\w+: 1 chunks`));

    await discord.dispatch('MESSAGE_CREATE', discord.message('When does the on-call rotation hand over?', { userId: nextUser(), mentionBot: true }));
    await settled(channel, (texts) => texts.length > shownBefore + 1);
    const asked = upstream.requests.filter((request) => request.url.endsWith('/chat/completions')).at(-1)!.body as { messages: { role: string; content: string }[] };
    expect(asked.messages.filter((message) => message.role === 'system').map((message) => message.content).join('\n')).toContain('[1] oncall.md');

    // Its direct messages are outside the server: its documents are not searched there.
    const direct = await dm('When does the on-call rotation hand over?');
    await settled(direct, (texts) => texts.length > 0);
    const inDm = upstream.requests.filter((request) => request.url.endsWith('/chat/completions')).at(-1)!.body as { messages: { role: string; content: string }[] };
    expect(JSON.stringify(inDm.messages)).not.toContain('oncall.md');
  });

  it('shows its gateway in /health and its metrics at /metrics, and never logs the bot token', async () => {
    const health = (await (await fetch(`${platform.url}/health`)).json()) as { checks: Record<string, { status: string; detail?: string }> };
    expect(health.checks.discord).toMatchObject({ status: 'ok' });
    expect(health.checks.discord!.detail).toMatch(/@gateway-test, gateway ready/);
    const metrics = await (await fetch(`${platform.url}/metrics`)).text();
    expect(metrics).toMatch(/gateway_adapter_up\{adapter="discord"\} 1/);
    expect(metrics).toMatch(/gateway_chat_events_total\{platform="discord",outcome="job"\} \d+/);
    expect(platform.output()).not.toContain(discord.token.split('.')[2]);
  });
});
