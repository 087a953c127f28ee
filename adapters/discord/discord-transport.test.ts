import { REST } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeDiscord, type FakeDiscord } from '../../test/fakes/fake-discord.ts';
import { PlatformCallError } from '../kit/chat-transport.ts';
import type { InteractionTokens } from '../kit/interaction-tokens.ts';
import { discordTransport } from './discord-transport.ts';

/** The transport over discord.js's real REST client, against the fake Discord: how each answer is classified. */
let discord: FakeDiscord;
let rest: REST;
const grants = new Map<string, string>();
const tokens: InteractionTokens = {
  save: async (id, value) => void grants.set(id, value),
  load: async (id) => grants.get(id),
};

beforeAll(async () => {
  discord = await startFakeDiscord();
  rest = new REST({ api: discord.apiUrl, retries: 0, rejectOnRateLimit: (limit) => limit.retryAfter > 2000 }).setToken(discord.token);
});
afterAll(() => discord.close());

const failure = async (call: Promise<unknown>) => {
  const error = await call.then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(PlatformCallError);
  return error as PlatformCallError;
};

describe('Discord transport', () => {
  const transport = () => discordTransport({ rest, applicationId: discord.applicationId, tokens });
  const channel = { id: '1500000000000000001' };

  it('sends, edits and replies with no pings and no link previews', async () => {
    const id = await transport().send(channel, 'Hi **there**', { replyToMessageId: '1500000000000000099' });
    await transport().edit(channel, id, 'Hi **again**');
    const [message] = discord.messages(channel.id);
    expect(message).toMatchObject({ id, visible: 'Hi again', replyTo: '1500000000000000099', edits: 1, pings: [] });
    expect(discord.calls('POST', /^\/channels\/\d+\/messages$/).at(-1)!.body).toMatchObject({ allowed_mentions: { parse: [] }, flags: 4 });
  });

  it('sends plain text escaped, so Discord shows it literally', async () => {
    const id = await transport().send(channel, '⚠️ a *b* <@1>', { plain: true });
    expect(discord.messages(channel.id).find((message) => message.id === id)!.content).toBe('⚠️ a \\*b\\* \\<@1>');
  });

  it('classifies failures: 5xx unavailable (retry), 4xx refused (for good), a long rate limit handed back with its wait', async () => {
    discord.failNext('POST', /^\/channels\/\d+\/messages$/, { status: 502, body: { message: 'Bad Gateway', code: 0 } });
    expect(await failure(transport().send(channel, 'x'))).toMatchObject({ code: 'platform_unavailable', retryable: true, uncertain: false });
    discord.failNext('POST', /^\/channels\/\d+\/messages$/, { status: 403, body: { message: 'Missing Permissions', code: 50013 } });
    const refused = await failure(transport().send(channel, 'x'));
    expect(refused).toMatchObject({ code: 'platform_refused', message: 'Discord: Missing Permissions (code 50013)' });
    discord.rateLimitNext('POST', /^\/channels\/\d+\/messages$/, 5);
    const limited = await failure(transport().send({ id: '1500000000000000002' }, 'x'));
    expect(limited.code).toBe('platform_rate_limited');
    expect(limited.retryAfterMs).toBeGreaterThanOrEqual(4000);
  });

  it('answers a slash command through its interaction while the token lives, and refuses once it has expired', async () => {
    const interaction = discord.interaction('ask', { question: 'q' }, { channelId: '1500000000000000003' });
    await rest.post(`/interactions/${interaction.id}/${interaction.token}/callback`, { body: { type: 5, data: { flags: 64 } }, auth: false });
    const target = { id: '1500000000000000003', interactionId: String(interaction.id) };
    grants.set(String(interaction.id), JSON.stringify({ token: interaction.token, ephemeral: true }));
    await transport().edit(target, '@original', 'First part');
    const followUp = await transport().send(target, 'Second part');
    expect(discord.messages(target.id).map((message) => [message.visible, message.ephemeral])).toEqual([['First part', true], ['Second part', true]]);
    expect(followUp).toBe(discord.messages(target.id)[1]!.id);
    grants.delete(String(interaction.id));
    expect(await failure(transport().send(target, 'Too late'))).toMatchObject({ code: 'platform_refused' });
    expect(discord.messages(target.id)).toHaveLength(2);
  });

  it('puts buttons under a message as one action row, keeps them through an edit without any, and takes them away with none', async () => {
    const buttons = [
      { label: 'Confirm', command: '/confirm ABCDEFGH', style: 'danger' as const },
      { label: 'Cancel', command: '/cancel ABCDEFGH' },
    ];
    const id = await transport().send(channel, 'Block them?', { buttons });
    const shown = () => discord.messages(channel.id).find((message) => message.id === id)!;
    expect(shown().buttons).toEqual([{ label: 'Confirm', customId: '/confirm ABCDEFGH', style: 4 }, { label: 'Cancel', customId: '/cancel ABCDEFGH', style: 2 }]);
    await transport().edit(channel, id, 'Block them? (asked again)');
    expect(shown()).toMatchObject({ visible: 'Block them? (asked again)', buttons: [{ label: 'Confirm' }, { label: 'Cancel' }] });
    expect(discord.calls('PATCH', /^\/channels\/\d+\/messages\/\d+$/).at(-1)!.body).not.toHaveProperty('components');
    await transport().edit(channel, id, 'Done.', { buttons: [] });
    expect(shown().buttons).toBeUndefined();
  });

  it("puts buttons on an interaction's follow-up, and is refused a button Discord would refuse", async () => {
    const interaction = discord.interaction('ask', { question: 'q' }, { channelId: '1500000000000000004' });
    await rest.post(`/interactions/${interaction.id}/${interaction.token}/callback`, { body: { type: 5, data: {} }, auth: false });
    const target = { id: '1500000000000000004', interactionId: String(interaction.id) };
    grants.set(String(interaction.id), JSON.stringify({ token: interaction.token, ephemeral: false }));
    await transport().edit(target, '@original', 'First part');
    await transport().send(target, 'Last part', { buttons: [{ label: 'Go', command: '/confirm ABCDEFGH', style: 'primary' }] });
    expect(discord.messages(target.id).map((message) => message.buttons)).toEqual([undefined, [{ label: 'Go', customId: '/confirm ABCDEFGH', style: 1 }]]);
    const tooLong = await failure(transport().send(channel, 'x', { buttons: [{ label: 'Go', command: `/confirm ${'A'.repeat(100)}` }] }));
    expect(tooLong).toMatchObject({ code: 'platform_refused' });
    expect(tooLong.message).toMatch(/^Discord: Invalid Form Body\ncomponents\[0\]\.components\[0\]\.custom_id\[BASE_TYPE_MAX_LENGTH\]: Must be 100 or fewer in length\. \(code 50035\)$/);
  });

  it('calls a request that never reached Discord certain, and one cut off mid-way uncertain', async () => {
    const closed = new REST({ api: 'http://127.0.0.1:9/api', retries: 0 }).setToken(discord.token);
    const error = await failure(discordTransport({ rest: closed, applicationId: '1', tokens }).send(channel, 'x'));
    expect(error).toMatchObject({ code: 'platform_unavailable', uncertain: false });
    const slow = new REST({ api: discord.apiUrl, retries: 0, timeout: 200 }).setToken(discord.token);
    discord.server.handle(() => new Promise(() => {}));
    try {
      const cut = await failure(discordTransport({ rest: slow, applicationId: '1', tokens }).send(channel, 'x'));
      expect(cut).toMatchObject({ code: 'platform_unavailable', uncertain: true });
    } finally {
      discord.server.handle(() => {});
    }
  });
});
