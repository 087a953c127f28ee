import { randomUUID } from 'node:crypto';
import { readsAttachments, type FileRef } from '../kit/attachments.ts';
import type { InboundJobInput } from '../../core/contracts/job.ts';
import { mintJobToken } from '../../core/identity/tokens.ts';
import { forJob, slackCapabilities } from '../kit/capabilities.ts';
import type { ChatTarget } from '../kit/chat-transport.ts';
import { slackCommands } from './commands.ts';
import type { SlackCommand, SlackEventCallback } from './slack-events.ts';

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

/** The bot's mention removed, other mentions as names where known, Slack's escapes undone: the text people read. */
function readable(text: string, { bot, names }: SlackEventContext): string {
  return text
    .replace(new RegExp(`<@${bot.userId}(\\|[^>]*)?>`, 'g'), ' ')
    .replace(/<@([A-Z0-9]+)(?:\|([^>]*))?>/g, (whole, id: string, label?: string) => (names?.get(id) ? `@${names.get(id)}` : label ? `@${label}` : whole))
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
  const text = readable(event.text, context);
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

/**
 * One slash command as a job, answered through its response_url. A private command's answer is seen
 * only by its caller, so it counts as direct (codes may be shown); its conversation is the channel.
 */
export function commandToWork(command: SlackCommand, context: SlackEventContext): Exclude<SlackEvent, { kind: 'unsupported' }> | { kind: 'unknown-command'; name: string } {
  const definition = slackCommands.find((candidate) => `/${candidate.name}` === command.command);
  if (!definition) return { kind: 'unknown-command', name: command.command };
  const argument = command.text.trim();
  const text = definition.name === 'ask' ? argument : argument ? `/${definition.name} ${argument}` : `/${definition.name}`;
  if (!text) return { kind: 'ignore', reason: 'an empty question' };
  const target: ChatTarget = { id: command.channel_id, interactionId: command.trigger_id };
  const direct = command.channel_id.startsWith('D') || definition.private;
  return {
    kind: 'job',
    target,
    ephemeral: definition.private,
    job: job(context, {
      id: command.trigger_id,
      eventId: command.trigger_id,
      teamId: command.team_id,
      userId: command.user_id,
      conversation: `slack-${command.team_id}-${command.channel_id}`,
      at: new Date().toISOString(),
      direct,
      text,
      target,
      // Answered through response_url, which takes five posts at most: no live edits.
      stream: false,
    }),
  };
}
