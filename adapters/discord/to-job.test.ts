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
const command = (name: string, options: { name: string; value: string }[] = []) =>
  discordInteractionSchema.parse({ id: '1300000000000002000', application_id: bot.id, type: 2, token: 'token', channel_id: '1300000000000000200', guild_id: '1300000000000000100', member: { user: { id: '1300000000000000501', username: 'ann' } }, data: { name, options: options.map((option) => ({ ...option, type: 3 })) } });
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
    expect(textOf(interactionToEvent(command('model', [{ name: 'name', value: 'gpt-4o' }]), context()))).toBe('/model gpt-4o');
    expect(textOf(interactionToEvent(command('new'), context()))).toBe('/new');
    expect(interactionToEvent(command('usage'), context())).toMatchObject({ kind: 'job', ephemeral: true, job: { source: { direct: true } } });
    expect(interactionToEvent(command('ask', [{ name: 'question', value: 'why?' }]), context())).toMatchObject({ kind: 'job', ephemeral: false, job: { source: { direct: false }, request: { stream: true } } });
    expect(interactionToEvent(command('dance'), context())).toEqual({ kind: 'unknown-command', name: 'dance' });
  });

  it('dates an interaction by its snowflake, and never puts its token in the job', () => {
    const event = interactionToEvent(command('ask', [{ name: 'question', value: 'when?' }]), context());
    if (event.kind !== 'job') throw new Error('expected a job');
    expect(Date.parse(event.job.source.receivedAt)).toBe(Number((BigInt('1300000000000002000') >> 22n) + 1420070400000n));
    expect(JSON.stringify(event.job)).not.toContain('"token"');
  });
});
