import { randomUUID } from 'node:crypto';
import { readsAttachments, type FileRef } from '../kit/attachments.ts';
import type { InboundJobInput } from '../../core/contracts/job.ts';
import { mintJobToken } from '../../core/identity/tokens.ts';
import { forJob, slackCapabilities } from '../kit/capabilities.ts';
import type { ChatTarget } from '../kit/chat-transport.ts';
import { slackCommands } from './commands.ts';
import type { SlackBlockActions, SlackCommand, SlackEventCallback } from './slack-events.ts';

export interface SlackBot {
  /** The bot's user id, as mentions name it. */
  userId: string;
}

export interface SlackEventContext {
  bot: SlackBot;
  jwtKey: Uint8Array;
  /** Display names of users, for the mentions in a message (`<@U123>` → `@Ann`). */
  names?: ReadonlyMap<string, string>;
}

/** What one event asks of the adapter. */
export type SlackEvent =
  /** `downloads`: files shared with `/docs add`, to be read (with the bot token) into the job before it is queued. */
  | { kind: 'job'; job: InboundJobInput; target: ChatTarget; ephemeral: boolean; downloads?: (FileRef & { url: string })[] }
  /** Addressed to the bot, but nothing it can read (only files): answered with what it can read. */
  | { kind: 'unsupported'; jobId: string; target: ChatTarget; what: string }
  | { kind: 'ignore'; reason: string };

/** Event ids survive Slack's retries; trigger ids are unique per command. Either names one job. */
export const slackJobId = (eventId: string) => `slack-${eventId}`;

/** A person is a user in a workspace: `T123:U456`. */
export const slackIdentity = (teamId: string, userId: string) => ({ platform: 'slack' as const, externalId: `${teamId}:${userId}` });

/** Slack's `ts` is seconds with a fraction: the moment as ISO 8601. */
const tsToIso = (ts: string) => new Date(Math.round(Number(ts) * 1000)).toISOString();

function job(context: SlackEventContext, event: { id: string; eventId: string; teamId: string; userId: string; conversation: string; at: string; direct: boolean; text: string; target: ChatTarget; stream: boolean }): InboundJobInput {
  const id = slackJobId(event.id);
  return {
    v: 1,
    id,
    requestId: `req_${randomUUID().replaceAll('-', '')}`,
    source: { platform: 'slack', eventId: event.eventId, receivedAt: event.at, direct: event.direct },
    conversationId: event.conversation,
    // The team's documents are searched in its channels, besides the shared ones.
    workspace: `slack:${event.teamId}`,
    identityToken: mintJobToken(context.jwtKey, id, slackIdentity(event.teamId, event.userId)),
    replyTo: { adapter: 'slack', chat: event.target },
    capabilities: forJob(slackCapabilities),
    input: { messages: [{ role: 'user', content: event.text }] },
    request: { stream: event.stream },
  };
}

/** A user's mention as Slack writes it: `<@U123>`, or `<@U123|ann>` in an escaped slash command. */
const mention = /<@([A-Z0-9]+)(?:\|([^>]*))?>/g;

/** A person named in a command, as the gateway's commands take them: `slack:<team>:<user>`, like ADMIN_USERS. */
export const slackUserRef = (teamId: string, userId: string) => `slack:${teamId}:${userId}`;

/**
 * The bot's mention removed, Slack's escapes undone: the text people read. Other mentions become
 * names where known; in a command (`/block @ann`) they become the person's identity instead, which
 * a display name (anyone may take "Ann") could never be.
 */
function readable(text: string, { bot, names }: SlackEventContext, teamId: string): string {
  const addressed = text.replace(new RegExp(`<@${bot.userId}(\\|[^>]*)?>`, 'g'), ' ').trim();
  const command = addressed.startsWith('/');
  return addressed
    .replace(mention, (whole, id: string, label?: string) => {
      if (command) return slackUserRef(teamId, id);
      return names?.get(id) ? `@${names.get(id)}` : label ? `@${label}` : whole;
    })
    .replace(/<(https?:[^|>]+)\|([^>]+)>/g, '$2 ($1)')
    .replace(/<(https?:[^>]+)>/g, '$1')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&')
    .replace(/[ \t]{2,}/g, ' ')
    .trim();
}

/**
 * One Events API callback as the adapter's work. Answered: mentions of the bot (in a thread under the
 * message, the thread its own conversation) and direct messages. Never: bots, edits and other subtypes.
 */
export function eventToWork(callback: SlackEventCallback, context: SlackEventContext): SlackEvent {
  const { event, team_id: teamId } = callback;
  if (event.bot_id || !event.user || event.user === context.bot.userId) return { kind: 'ignore', reason: 'not from a person' };
  if (event.subtype && event.subtype !== 'file_share') return { kind: 'ignore', reason: `a ${event.subtype} event` };
  const direct = event.type === 'message' && event.channel_type === 'im';
  // Mentions arrive as app_mention; a channel's plain messages are not the bot's business.
  if (event.type === 'message' && !direct) return { kind: 'ignore', reason: 'a channel message without a mention' };
  const threadId = event.thread_ts ?? (direct ? undefined : event.ts);
  const target: ChatTarget = { id: event.channel, messageId: event.ts, ...(threadId ? { threadId } : {}) };
  const text = readable(event.text, context, teamId);
  if (!text) {
    if (event.files.length) return { kind: 'unsupported', jobId: slackJobId(callback.event_id), target, what: 'files' };
    return { kind: 'ignore', reason: 'no text' };
  }
  const conversation = threadId ? `slack-${teamId}-${event.channel}-${threadId}` : `slack-${teamId}-${event.channel}`;
  const files = readsAttachments(text) ? event.files.filter((file) => file.url_private_download !== undefined) : [];
  return {
    kind: 'job',
    target,
    ephemeral: false,
    ...(files.length ? { downloads: files.map((file) => ({ url: file.url_private_download!, name: file.name ?? 'file', mediaType: file.mimetype, size: file.size })) } : {}),
    job: job(context, { id: callback.event_id, eventId: callback.event_id, teamId, userId: event.user, conversation, at: tsToIso(event.ts), direct, text, target, stream: true }),
  };
}

/** What a slash command or a button press asks of the adapter: a job answered through its response_url. */
export type SlackInteractionWork = Extract<SlackEvent, { kind: 'job' }> | Extract<SlackEvent, { kind: 'ignore' }>;

/**
 * One job answered through a response_url (30 minutes, five posts at most: no live edits). Only its
 * caller sees an ephemeral answer, so it counts as direct (codes may be shown); its conversation is
 * the channel, or the thread of a pressed message.
 */
function interactionWork(context: SlackEventContext, work: { triggerId: string; teamId: string; userId: string; channel: string; threadTs?: string; text: string; ephemeral: boolean }): SlackInteractionWork {
  const target: ChatTarget = { id: work.channel, interactionId: work.triggerId };
  const conversation = work.threadTs ? `slack-${work.teamId}-${work.channel}-${work.threadTs}` : `slack-${work.teamId}-${work.channel}`;
  return {
    kind: 'job',
    target,
    ephemeral: work.ephemeral,
    job: job(context, {
      id: work.triggerId,
      eventId: work.triggerId,
      teamId: work.teamId,
      userId: work.userId,
      conversation,
      at: new Date().toISOString(),
      direct: work.channel.startsWith('D') || work.ephemeral,
      text: work.text,
      target,
      stream: false,
    }),
  };
}

/** One slash command as a job: `/ask` is the question itself, every other command the gateway's own. */
export function commandToWork(command: SlackCommand, context: SlackEventContext): SlackInteractionWork | { kind: 'unknown-command'; name: string } {
  const definition = slackCommands.find((candidate) => `/${candidate.name}` === command.command);
  if (!definition) return { kind: 'unknown-command', name: command.command };
  const argument = command.text.trim();
  const text = definition.name === 'ask' ? readable(argument, context, command.team_id) : readable(`/${definition.name} ${argument}`, context, command.team_id);
  if (!text) return { kind: 'ignore', reason: 'an empty question' };
  return interactionWork(context, { triggerId: command.trigger_id, teamId: command.team_id, userId: command.user_id, channel: command.channel_id, text, ephemeral: definition.private });
}

/**
 * A button press as the job of its command (`/confirm ABCDEFGH`), from the person who pressed it, in the
 * pressed message's chat: the same as if they had sent the command there. Answered like the message
 * pressed: privately under an ephemeral one.
 */
export function pressToWork(press: SlackBlockActions, context: SlackEventContext): SlackInteractionWork {
  const value = press.actions[0]!.value?.trim() ?? '';
  if (!value.startsWith('/')) return { kind: 'ignore', reason: 'a button that is not a command' };
  const teamId = (press.team?.id ?? press.user.team_id)!;
  const threadTs = press.container.thread_ts ?? press.message?.thread_ts;
  return interactionWork(context, {
    triggerId: press.trigger_id,
    teamId,
    userId: press.user.id,
    channel: press.channel.id,
    ...(threadTs ? { threadTs } : {}),
    text: readable(value, context, teamId),
    ephemeral: press.container.is_ephemeral ?? false,
  });
}
