import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { discordInteractionSchema, discordMessageSchema } from './discord-events.ts';
import { interactionToEvent, messageToEvent, type DiscordEventContext } from './to-job.ts';

const bot = { id: '1300000000000000001', username: 'gateway-bot' };
const context = (channels: string[] = [], parents: Record<string, string> = {}): DiscordEventContext => ({
  bot,
  jwtKey: new TextEncoder().encode('to-job-key-to-job-key-to-job-key-32'),
  channels: new Set(channels),
  parentOf: (id) => parents[id],
});
const message = (overrides: Record<string, unknown>) =>
  discordMessageSchema.parse({ id: '1300000000000001000', channel_id: '1300000000000000200', guild_id: '1300000000000000100', author: { id: '1300000000000000501', username: 'ann' }, content: 'hello', timestamp: '2026-11-23T10:00:00.000000+00:00', type: 0, ...overrides });
const interaction = (overrides: Record<string, unknown>) =>
  discordInteractionSchema.parse({ id: '1300000000000002000', application_id: bot.id, type: 2, token: 'token', channel_id: '1300000000000000200', guild_id: '1300000000000000100', member: { user: { id: '1300000000000000501', username: 'ann' } }, ...overrides });
const command = (name: string, options: { name: string; value: string; type?: number }[] = []) => interaction({ data: { name, options: options.map((option) => ({ type: 3, ...option })) } });
/** A press of a button whose custom_id is `customId`, on a message with these flags (64: ephemeral). */
const press = (customId: string, { flags = 0, dm = false } = {}) =>
  interaction({
    type: 3,
    ...(dm ? { guild_id: undefined, member: undefined, user: { id: '1300000000000000502', username: 'bob' } } : { member: { user: { id: '1300000000000000502', username: 'bob' } } }),
    message: { id: '1300000000000003000', flags },
    data: { custom_id: customId, component_type: 2 },
  });
const textOf = (event: ReturnType<typeof interactionToEvent>) => (event.kind === 'job' ? event.job.input.messages[0]!.content : event.kind);

describe('Discord events as jobs', () => {
  it('answers every message in a thread of a channel where it answers everything, the thread its own conversation', () => {
    const event = messageToEvent(message({ channel_id: '1300000000000000777' }), context(['1300000000000000300'], { '1300000000000000777': '1300000000000000300' }));
    expect(event).toMatchObject({ kind: 'job', job: { conversationId: 'discord-1300000000000000777' } });
    expect(messageToEvent(message({}), context(['1300000000000000300']))).toMatchObject({ kind: 'ignore' });
  });

  it('ignores a bare mention, and a message whose text it was not given (the content intent off)', () => {
    expect(messageToEvent(message({ content: `<@${bot.id}>`, mentions: [{ id: bot.id, username: bot.username }] }), context())).toMatchObject({ kind: 'ignore', reason: 'no text' });
    expect(messageToEvent(message({ content: '', guild_id: undefined }), context())).toMatchObject({ kind: 'ignore' });
  });

  it('turns slash commands into the gateway commands they stand for, private ones as direct', () => {
    expect(textOf(interactionToEvent(command('model', [{ name: 'model', value: 'gpt-4o' }]), context()))).toBe('/model gpt-4o');
    expect(textOf(interactionToEvent(command('new'), context()))).toBe('/new');
    // The spec's order, whatever order Discord sends them in; options not given are left out.
    const keys = [{ name: 'name', value: 'ci bot' }, { name: 'action', value: 'create' }];
    expect(textOf(interactionToEvent(command('keys', keys), context()))).toBe('/keys create ci bot');
    expect(textOf(interactionToEvent(command('usage', [{ name: 'days', value: '7' }]), context()))).toBe('/usage 7');
    expect(interactionToEvent(command('usage'), context())).toMatchObject({ kind: 'job', ephemeral: true, job: { source: { direct: true } } });
    expect(interactionToEvent(command('ask', [{ name: 'question', value: 'why?' }]), context())).toMatchObject({ kind: 'job', ephemeral: false, job: { source: { direct: false }, request: { stream: true } } });
    expect(interactionToEvent(command('dance'), context())).toEqual({ kind: 'unknown-command', name: 'dance' });
  });

  it('writes a user picked (a USER option) and a user mentioned in a command as discord:<id>, other mentions as names', () => {
    const picked = [{ name: 'user', type: 6, value: '1300000000000000777' }, { name: 'role', value: 'admin' }];
    expect(textOf(interactionToEvent(command('role', picked), context()))).toBe('/role discord:1300000000000000777 admin');
    expect(textOf(interactionToEvent(command('usage', [{ name: 'who', value: '<@!1300000000000000777>' }]), context()))).toBe('/usage discord:1300000000000000777');
    const mentions = [{ id: bot.id, username: bot.username }, { id: '1300000000000000777', username: 'cy', global_name: 'Cy' }];
    const typed = (content: string) => messageToEvent(message({ content, mentions }), context());
    expect(typed(`<@${bot.id}> /block <@1300000000000000777>`)).toMatchObject({ kind: 'job', job: { input: { messages: [{ content: '/block discord:1300000000000000777' }] } } });
    expect(typed(`<@${bot.id}> /limits <@!1300000000000000777> 10 default`)).toMatchObject({ job: { input: { messages: [{ content: '/limits discord:1300000000000000777 10 default' }] } } });
    expect(typed(`<@${bot.id}> ask <@1300000000000000777> about it`)).toMatchObject({ job: { input: { messages: [{ content: 'ask @Cy about it' }] } } });
  });

  it("gives the sender's username as the job's handle, when it is one", () => {
    expect(messageToEvent(message({ guild_id: undefined }), context())).toMatchObject({ job: { source: { handle: 'ann' } } });
    expect(interactionToEvent(command('new'), context())).toMatchObject({ job: { source: { handle: 'ann' } } });
    expect(interactionToEvent(press('/confirm ABCDEFGH'), context())).toMatchObject({ job: { source: { handle: 'bob' } } });
    const legacy = messageToEvent(message({ guild_id: undefined, author: { id: '1300000000000000501', username: 'Ann Smith' } }), context());
    if (legacy.kind !== 'job') throw new Error('expected a job');
    expect(legacy.job.source).not.toHaveProperty('handle');
  });

  it("turns a press of the bot's button into its command, from the presser; direct when the message was ephemeral or in a DM", () => {
    const shared = interactionToEvent(press('/confirm ABCDEFGH'), context());
    expect(shared).toMatchObject({
      kind: 'job',
      ephemeral: false,
      target: { id: '1300000000000000200', interactionId: '1300000000000002000' },
      job: { id: 'discord-1300000000000002000', source: { direct: false }, input: { messages: [{ role: 'user', content: '/confirm ABCDEFGH' }] }, request: { stream: false } },
    });
    if (shared.kind !== 'job') throw new Error('expected a job');
    expect(decodeJwt(shared.job.identityToken)).toMatchObject({ platform: 'discord', sub: '1300000000000000502' });
    expect(interactionToEvent(press('/cancel ABCDEFGH', { flags: 64 }), context())).toMatchObject({ kind: 'job', ephemeral: true, job: { source: { direct: true } } });
    expect(interactionToEvent(press('/confirm ABCDEFGH', { dm: true }), context())).toMatchObject({ kind: 'job', ephemeral: false, job: { source: { direct: true } } });
    expect(interactionToEvent(press('something-else'), context())).toMatchObject({ kind: 'ignore' });
    expect(interactionToEvent(interaction({ type: 3, data: { custom_id: '/confirm X', component_type: 3 } }), context())).toMatchObject({ kind: 'ignore' });
  });

  it('dates an interaction by its snowflake, and never puts its token in the job', () => {
    const event = interactionToEvent(command('ask', [{ name: 'question', value: 'when?' }]), context());
    if (event.kind !== 'job') throw new Error('expected a job');
    expect(Date.parse(event.job.source.receivedAt)).toBe(Number((BigInt('1300000000000002000') >> 22n) + 1420070400000n));
    expect(JSON.stringify(event.job)).not.toContain('"token"');
  });
});
