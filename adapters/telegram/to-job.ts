import { randomUUID } from 'node:crypto';
import { inboundJobSchema, type InboundJobInput } from '../../core/contracts/job.ts';
import { mintJobToken } from '../../core/identity/tokens.ts';
import { forJob, telegramCapabilities } from '../kit/capabilities.ts';
import type { ChatTarget } from '../kit/chat-transport.ts';
import { readsAttachments, type FileRef } from '../kit/attachments.ts';
import { telegramDocumentSchema, unsupportedKinds, type TelegramCallbackQuery, type TelegramMessage, type TelegramUpdate } from './telegram-update.ts';

/** When the bot answers in groups: when mentioned, replied to or given a command (default); always; never. */
export type GroupMode = 'mention' | 'all' | 'off';

export interface BotIdentity {
  id: number;
  username: string;
}

export interface TelegramEventContext {
  bot: BotIdentity;
  jwtKey: Uint8Array;
  groupMode: GroupMode;
}

/** What one update asks of the adapter. */
export type TelegramEvent =
  /** `download`: a file sent with `/docs add`, to be read into the job before it is queued. */
  | { kind: 'job'; job: InboundJobInput; target: ChatTarget; download?: FileRef & { fileId: string } }
  /** A message the assistant cannot read (voice, a photo…): answered with what it can read, never dropped silently. */
  | { kind: 'unsupported'; jobId: string; target: ChatTarget; what: string }
  | { kind: 'ignore'; reason: string };

/** Unique per bot and update, so a redelivered update is the same job; bots have their own update ids. */
export const telegramJobId = (botId: number, updateId: number) => `telegram-${botId}-${updateId}`;

type Entity = NonNullable<TelegramMessage['entities']>[number];
type User = NonNullable<TelegramMessage['from']>;
/** Where a message sits: the chat, and the forum topic when it is in one. */
type Placed = Pick<TelegramMessage, 'message_id' | 'message_thread_id' | 'is_topic_message' | 'chat'>;

function targetOf(message: Placed): ChatTarget {
  const thread = message.is_topic_message && message.message_thread_id !== undefined ? { threadId: String(message.message_thread_id) } : {};
  return { id: String(message.chat.id), messageId: String(message.message_id), ...thread };
}

/** Whether a group message is addressed to the bot, and the entity that names the bot by its @name (to take out). */
function addressing(message: TelegramMessage, bot: BotIdentity): { addressed: boolean; botMention: Entity | undefined } {
  const text = message.text ?? message.caption ?? '';
  const entities = message.entities ?? message.caption_entities ?? [];
  const handle = `@${bot.username}`.toLowerCase();
  const mention = entities.find(
    (entity) =>
      (entity.type === 'mention' && text.slice(entity.offset, entity.offset + entity.length).toLowerCase() === handle) ||
      (entity.type === 'text_mention' && entity.user?.id === bot.id),
  );
  const command = entities.find((entity) => entity.type === 'bot_command' && entity.offset === 0);
  const commandText = command && text.slice(0, command.length).toLowerCase();
  // `/help@other_bot` in a group is for another bot.
  const commandForUs = commandText !== undefined && (!commandText.includes('@') || commandText.endsWith(handle));
  const repliedTo = message.reply_to_message?.from?.id === bot.id;
  return { addressed: Boolean(mention) || commandForUs || repliedTo, botMention: mention?.type === 'mention' ? mention : undefined };
}

/**
 * The text as the job carries it: the bot's @name taken out, and in a command's arguments a person
 * named without a username (a `text_mention`, which is only a link to them) written `telegram:<id>`, the
 * way core names an identity. An `@name` stays: core finds its owner by the handle jobs carry.
 * Entity offsets count UTF-16 units, as JavaScript strings do.
 */
function jobText(text: string, entities: readonly Entity[], botMention: Entity | undefined): string {
  const commandEnd = text.startsWith('/') ? /^\S*/.exec(text)![0].length : undefined;
  const edits = entities
    .flatMap((entity) => {
      if (entity === botMention) return [{ entity, replacement: '' }];
      if (commandEnd !== undefined && entity.type === 'text_mention' && entity.user && entity.offset >= commandEnd) {
        return [{ entity, replacement: `telegram:${entity.user.id}` }];
      }
      return [];
    })
    // From the end, so each edit leaves the offsets before it valid.
    .sort((a, b) => b.entity.offset - a.entity.offset);
  let result = text;
  for (const { entity, replacement } of edits) result = result.slice(0, entity.offset) + replacement + result.slice(entity.offset + entity.length);
  return botMention ? result.replace(/\s{2,}/g, ' ').trim() : result;
}

/** The sender's @name for `source.handle`, when they have one the contract takes. */
function handleOf(from: User): { handle?: string } {
  const handle = inboundJobSchema.shape.source.shape.handle.safeParse(from.username);
  return handle.success && handle.data ? { handle: handle.data } : {};
}

interface JobParts {
  updateId: number;
  from: User;
  chat: TelegramMessage['chat'];
  target: ChatTarget;
  text: string;
  receivedAt: Date;
}

/** The job for a person's text in a chat, typed or pressed; the conversation is the chat, or its forum topic. */
function jobFor({ updateId, from, chat, target, text, receivedAt }: JobParts, { bot, jwtKey }: TelegramEventContext): InboundJobInput {
  const id = telegramJobId(bot.id, updateId);
  const identity = { platform: 'telegram' as const, externalId: String(from.id) };
  const conversation = target.threadId ? `telegram-${chat.id}-${target.threadId}` : `telegram-${chat.id}`;
  return {
    v: 1,
    id,
    requestId: `req_${randomUUID().replaceAll('-', '')}`,
    source: { platform: 'telegram', eventId: `${bot.id}:${updateId}`, receivedAt: receivedAt.toISOString(), direct: chat.type === 'private', ...handleOf(from) },
    conversationId: conversation,
    identityToken: mintJobToken(jwtKey, id, identity),
    replyTo: { adapter: 'telegram', chat: target },
    capabilities: forJob(telegramCapabilities),
    input: { messages: [{ role: 'user', content: text }] },
    request: { stream: true },
  };
}

/**
 * A button pressed under one of the bot's messages: the same as its presser sending the button's
 * command in that chat. Group mode does not apply: a press on the bot's own message is addressed to it.
 */
function pressEvent(updateId: number, press: TelegramCallbackQuery, context: TelegramEventContext): TelegramEvent {
  const { from, message, data } = press;
  if (from.is_bot) return { kind: 'ignore', reason: 'not from a person' };
  if (!message) return { kind: 'ignore', reason: 'a button on an inline-mode message' };
  if (data === undefined || !data.trim()) return { kind: 'ignore', reason: 'a button without data' };
  if (message.chat.type === 'channel') return { kind: 'ignore', reason: 'a channel post' };
  const target = targetOf(message);
  // A press has no date of its own; it happened just now.
  return { kind: 'job', target, job: jobFor({ updateId, from, chat: message.chat, target, text: data, receivedAt: new Date() }, context) };
}

/**
 * One Telegram update as the adapter's work: a job for the queue, a note that the message's kind is
 * unsupported, or nothing (another bot, a group message not for us, an edit). The jobId derives from
 * the update id; the conversation is the chat (a forum topic is its own).
 */
export function toTelegramEvent(update: TelegramUpdate, context: TelegramEventContext): TelegramEvent {
  const { bot, groupMode } = context;
  if (update.callback_query) return pressEvent(update.update_id, update.callback_query, context);
  const message = update.message;
  if (!message) return { kind: 'ignore', reason: 'not a new message' };
  const from = message.from;
  if (!from || from.is_bot) return { kind: 'ignore', reason: 'not from a person' };
  const direct = message.chat.type === 'private';
  if (message.chat.type === 'channel') return { kind: 'ignore', reason: 'a channel post' };
  if (!direct && groupMode === 'off') return { kind: 'ignore', reason: 'groups are off' };
  const { addressed, botMention } = direct ? { addressed: true, botMention: undefined } : addressing(message, bot);
  if (!direct && groupMode === 'mention' && !addressed) return { kind: 'ignore', reason: 'not addressed to the bot' };
  const text = jobText(message.text ?? message.caption ?? '', message.entities ?? message.caption_entities ?? [], botMention);

  const id = telegramJobId(bot.id, update.update_id);
  const target = targetOf(message);
  const kind = Object.keys(unsupportedKinds).find((name) => message[name] !== undefined) as keyof typeof unsupportedKinds | undefined;
  const document = readsAttachments(text) ? telegramDocumentSchema.safeParse(message.document) : undefined;
  const file = document?.success ? document.data : undefined;
  if (message.text === undefined && !file) {
    // Service messages (a member joined, a pin) are no one's question.
    if (!kind) return { kind: 'ignore', reason: 'a service message' };
    // In a busy group, only what was sent to the bot gets an explanation.
    if (!direct && !addressed) return { kind: 'ignore', reason: 'not addressed to the bot' };
    return { kind: 'unsupported', jobId: id, target, what: unsupportedKinds[kind] };
  }
  if (!text.trim()) return { kind: 'ignore', reason: 'empty after the mention' };

  return {
    kind: 'job',
    target,
    job: jobFor({ updateId: update.update_id, from, chat: message.chat, target, text, receivedAt: new Date(message.date * 1000) }, context),
    ...(file ? { download: { fileId: file.file_id, name: file.file_name ?? 'document', mediaType: file.mime_type, size: file.file_size } } : {}),
  };
}
