import { randomUUID } from 'node:crypto';
import { readsAttachments, type FileRef } from '../kit/attachments.ts';
import type { InboundJobInput } from '../../core/contracts/job.ts';
import { mintJobToken } from '../../core/identity/tokens.ts';
import { discordCapabilities, forJob } from '../kit/capabilities.ts';
import type { ChatTarget } from '../kit/chat-transport.ts';
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

/** The bot's mention removed, other users' mentions as their names, so the model reads what people see. */
function readable(message: DiscordMessage, bot: DiscordBot): string {
  return message.content
    .replace(new RegExp(`<@!?${bot.id}>`, 'g'), ' ')
    .replace(/<@!?(\d+)>/g, (whole, id: string) => {
      const user = message.mentions.find((candidate) => candidate.id === id);
      return user ? `@${user.global_name ?? user.username}` : whole;
    })
    .replace(/[ \t]{2,}/g, ' ')
    .trim();
}

function job(
  { bot, jwtKey }: DiscordEventContext,
  event: { id: string; userId: string; channelId: string; guildId: string | undefined; at: string; direct: boolean; text: string; target: ChatTarget; stream: boolean },
): InboundJobInput {
  const id = discordJobId(event.id);
  return {
    v: 1,
    id,
    requestId: `req_${randomUUID().replaceAll('-', '')}`,
    source: { platform: 'discord', eventId: `${bot.id}:${event.id}`, receivedAt: new Date(event.at).toISOString(), direct: event.direct },
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
    job: job(context, { id: message.id, userId: message.author.id, channelId: message.channel_id, guildId: message.guild_id, at: message.timestamp, direct, text, target, stream: true }),
  };
}

/** The text a slash command stands for: the gateway's own command (`/model gpt-4o`), or a question. */
function commandText(name: string, options: Map<string, string>): string {
  if (name === 'ask') return options.get('question') ?? '';
  const argument = options.get('name') ?? options.get('code');
  return argument ? `/${name} ${argument}` : `/${name}`;
}

/**
 * One INTERACTION_CREATE as the adapter's work: a slash command becomes a job answered in the
 * interaction's response. A private command's answer is seen only by its caller, so it counts as a
 * direct message (codes may be shown).
 */
export function interactionToEvent(interaction: DiscordInteraction, context: DiscordEventContext): DiscordEvent | { kind: 'unknown-command'; name: string } {
  if (interaction.type !== 2 || !interaction.data) return { kind: 'ignore', reason: 'not a slash command' };
  const user = interaction.member?.user ?? interaction.user;
  if (!user || !interaction.channel_id) return { kind: 'ignore', reason: 'no user or channel' };
  const command = discordCommands.find((candidate) => candidate.name === interaction.data!.name);
  if (!command) return { kind: 'unknown-command', name: interaction.data.name };
  const options = new Map(interaction.data.options.map((option) => [option.name, String(option.value ?? '').trim()]));
  const text = commandText(command.name, options);
  if (!text) return { kind: 'ignore', reason: 'an empty question' };
  const target: ChatTarget = { id: interaction.channel_id, interactionId: interaction.id };
  const direct = interaction.guild_id === undefined || command.private;
  // The interaction's id is its time: Discord gives no other.
  const at = new Date(Number((BigInt(interaction.id) >> 22n) + 1420070400000n)).toISOString();
  return {
    kind: 'job',
    target,
    ephemeral: command.private,
    job: job(context, { id: interaction.id, userId: user.id, channelId: interaction.channel_id, guildId: interaction.guild_id, at, direct, text, target, stream: command.name === 'ask' }),
  };
}
