import { randomUUID } from 'node:crypto';
import { readsAttachments, type FileRef } from '../kit/attachments.ts';
import type { InboundJobInput } from '../../core/contracts/job.ts';
import { mintJobToken } from '../../core/identity/tokens.ts';
import { discordCapabilities, forJob } from '../kit/capabilities.ts';
import type { ChatTarget } from '../kit/chat-transport.ts';
import type { CommandSpec } from '../../core/contracts/commands.ts';
import { discordCommands } from './commands.ts';
import type { DiscordInteraction, DiscordMessage } from './discord-events.ts';

export interface DiscordBot {
  id: string;
  username: string;
}

export interface DiscordEventContext {
  bot: DiscordBot;
  jwtKey: Uint8Array;
  /** Channels where every message is for the bot (DISCORD_CHANNELS); a thread counts as its parent. */
  channels: ReadonlySet<string>;
  /** A thread's parent channel, when known. */
  parentOf: (channelId: string) => string | undefined;
}

/** What one gateway event asks of the adapter. */
export type DiscordEvent =
  /** `downloads`: files sent with `/docs add`, to be read into the job before it is queued. */
  | { kind: 'job'; job: InboundJobInput; target: ChatTarget; ephemeral: boolean; downloads?: (FileRef & { url: string })[] }
  /** Addressed to the bot, but nothing it can read (only files or stickers): answered with what it can read. */
  | { kind: 'unsupported'; jobId: string; target: ChatTarget; what: string }
  | { kind: 'ignore'; reason: string };

/** Snowflakes are unique across Discord, so a message or interaction id alone names the job; a redelivery is the same job. */
export const discordJobId = (eventId: string) => `discord-${eventId}`;

/** Discord's message types a person writes: a message and a reply. The rest are system messages. */
const personTypes = new Set([0, 19]);

/** A user named in a command, as core reads people: `<@123>` and `<@!123>` (someone other than the bot) become `discord:123`. */
export function namedInCommand(text: string, botId: string): string {
  return text.replace(/<@!?(\d+)>/g, (whole, id: string) => (id === botId ? whole : `discord:${id}`));
}

/**
 * The bot's mention removed, so the model reads what people see: others' mentions as their names, or
 * in a command (`/block <@123>`) as the `discord:<id>` core can look up.
 */
function readable(message: DiscordMessage, bot: DiscordBot): string {
  const text = message.content
    .replace(new RegExp(`<@!?${bot.id}>`, 'g'), ' ')
    .replace(/[ \t]{2,}/g, ' ')
    .trim();
  if (text.startsWith('/')) return namedInCommand(text, bot.id);
  return text.replace(/<@!?(\d+)>/g, (whole, id: string) => {
    const user = message.mentions.find((candidate) => candidate.id === id);
    return user ? `@${user.global_name ?? user.username}` : whole;
  });
}

/** The sender's @name, when it is one core accepts (Discord's usernames are; a legacy one with spaces is not). */
const handleOf = (username: string) => (/^[\w.]{1,64}$/.test(username) ? { handle: username } : {});

function job(
  { bot, jwtKey }: DiscordEventContext,
  event: { id: string; userId: string; username: string; channelId: string; guildId: string | undefined; at: string; direct: boolean; text: string; target: ChatTarget; stream: boolean },
): InboundJobInput {
  const id = discordJobId(event.id);
  return {
    v: 1,
    id,
    requestId: `req_${randomUUID().replaceAll('-', '')}`,
    source: { platform: 'discord', eventId: `${bot.id}:${event.id}`, receivedAt: new Date(event.at).toISOString(), direct: event.direct, ...handleOf(event.username) },
    // A thread is a channel of its own, and so its own conversation.
    conversationId: `discord-${event.channelId}`,
    // A server's documents are searched in its channels, besides the shared ones.
    ...(event.guildId ? { workspace: `discord:${event.guildId}` } : {}),
    identityToken: mintJobToken(jwtKey, id, { platform: 'discord', externalId: event.userId }),
    replyTo: { adapter: 'discord', chat: event.target },
    capabilities: forJob(discordCapabilities),
    input: { messages: [{ role: 'user', content: event.text }] },
    request: { stream: event.stream },
  };
}

/**
 * One MESSAGE_CREATE as the adapter's work. Answered: direct messages; in servers, messages that mention
 * the bot, reply to it, or are in a channel where it answers everything. Never: bots (itself included),
 * webhooks, system messages.
 */
export function messageToEvent(message: DiscordMessage, context: DiscordEventContext): DiscordEvent {
  const { bot, channels, parentOf } = context;
  if (message.author.bot || message.webhook_id) return { kind: 'ignore', reason: 'not from a person' };
  if (!personTypes.has(message.type)) return { kind: 'ignore', reason: 'a system message' };
  const direct = message.guild_id === undefined;
  const addressed =
    direct ||
    message.mentions.some((user) => user.id === bot.id) ||
    message.referenced_message?.author.id === bot.id ||
    channels.has(message.channel_id) ||
    channels.has(parentOf(message.channel_id) ?? '');
  if (!addressed) return { kind: 'ignore', reason: 'not addressed to the bot' };

  const target: ChatTarget = { id: message.channel_id, messageId: message.id };
  const text = readable(message, bot);
  if (!text) {
    const what = message.attachments.length ? 'files' : message.sticker_items.length ? 'stickers' : undefined;
    // No text and no files: the bot cannot see the content (the message content intent is off), or it is empty.
    if (!what) return { kind: 'ignore', reason: 'no text' };
    return { kind: 'unsupported', jobId: discordJobId(message.id), target, what };
  }
  const files = readsAttachments(text) ? message.attachments.filter((file) => file.url !== undefined) : [];
  return {
    kind: 'job',
    target,
    ephemeral: false,
    ...(files.length ? { downloads: files.map((file) => ({ url: file.url!, name: file.filename, mediaType: file.content_type, size: file.size })) } : {}),
    job: job(context, { id: message.id, userId: message.author.id, username: message.author.username, channelId: message.channel_id, guildId: message.guild_id, at: message.timestamp, direct, text, target, stream: true }),
  };
}

/**
 * The text a slash command stands for: a question (`ask`), or the gateway's command as a person would
 * type it, `/name` and the given options' values in the command's order; a user picked is `discord:<id>`.
 */
function commandText(command: CommandSpec, options: Map<string, string>): string {
  if (command.name === 'ask') return options.get('question') ?? '';
  const values = command.options.flatMap((option) => {
    const value = options.get(option.name);
    if (!value) return [];
    return [option.type === 'user' && /^\d{1,20}$/.test(value) ? `discord:${value}` : value];
  });
  return [`/${command.name}`, ...values].join(' ');
}

/** The interaction's id is its time: Discord gives no other. */
const timeOf = (snowflake: string) => new Date(Number((BigInt(snowflake) >> 22n) + 1420070400000n)).toISOString();

/** Discord's interaction types the adapter answers, and the component a button is. */
const applicationCommand = 2;
const messageComponent = 3;
const button = 2;
const ephemeralFlag = 64;

/**
 * One INTERACTION_CREATE as the adapter's work: a slash command, or a press of one of the bot's buttons
 * (whose custom_id is the command it stands for), becomes a job answered in the interaction's response.
 * A private command's answer, and a press on a message only its presser saw, are seen only by the
 * presser, so they count as direct messages (codes may be shown).
 */
export function interactionToEvent(interaction: DiscordInteraction, context: DiscordEventContext): DiscordEvent | { kind: 'unknown-command'; name: string } {
  const user = interaction.member?.user ?? interaction.user;
  const { data, channel_id: channelId, guild_id: guildId } = interaction;
  if (interaction.type !== applicationCommand && interaction.type !== messageComponent) return { kind: 'ignore', reason: 'not a slash command or a button' };
  if (!data) return { kind: 'ignore', reason: 'an interaction without data' };
  if (!user || !channelId) return { kind: 'ignore', reason: 'no user or channel' };
  const target: ChatTarget = { id: channelId, interactionId: interaction.id };
  const jobOf = (text: string, direct: boolean, stream: boolean) =>
    job(context, { id: interaction.id, userId: user.id, username: user.username, channelId, guildId, at: timeOf(interaction.id), direct, text, target, stream });

  if (interaction.type === messageComponent) {
    if (data.component_type !== button || !data.custom_id?.startsWith('/')) return { kind: 'ignore', reason: 'not one of our command buttons' };
    const ephemeral = ((interaction.message?.flags ?? 0) & ephemeralFlag) !== 0;
    return { kind: 'job', target, ephemeral, job: jobOf(data.custom_id, ephemeral || guildId === undefined, false) };
  }

  const command = discordCommands.find((candidate) => candidate.name === data.name);
  if (!command) return { kind: 'unknown-command', name: data.name ?? '' };
  const options = new Map(data.options.map((option) => [option.name, String(option.value ?? '').trim()]));
  const said = commandText(command, options);
  // A mention typed into a text option (`/usage who:@ann`) names a user, as in a typed command.
  const text = said.startsWith('/') ? namedInCommand(said, context.bot.id) : said;
  if (!text) return { kind: 'ignore', reason: 'an empty question' };
  const ephemeral = command.private ?? false;
  return { kind: 'job', target, ephemeral, job: jobOf(text, guildId === undefined || ephemeral, command.name === 'ask') };
}
