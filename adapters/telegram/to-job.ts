import { randomUUID } from 'node:crypto';
import type { InboundJobInput } from '../../core/contracts/job.ts';
import { mintJobToken } from '../../core/identity/tokens.ts';
import { forJob, telegramCapabilities } from '../kit/capabilities.ts';
import type { ChatTarget } from '../kit/chat-transport.ts';
import { readsAttachments, type FileRef } from '../kit/attachments.ts';
import { telegramDocumentSchema, unsupportedKinds, type TelegramMessage, type TelegramUpdate } from './telegram-update.ts';

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

function targetOf(message: TelegramMessage): ChatTarget {
  const thread = message.is_topic_message && message.message_thread_id !== undefined ? { threadId: String(message.message_thread_id) } : {};
  return { id: String(message.chat.id), messageId: String(message.message_id), ...thread };
}

/** Whether a group message is addressed to the bot, and its text without the bot's @name. */
function addressing(message: TelegramMessage, bot: BotIdentity): { addressed: boolean; text: string } {
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
  const stripped = mention?.type === 'mention' ? (text.slice(0, mention.offset) + text.slice(mention.offset + mention.length)).replace(/\s{2,}/g, ' ').trim() : text;
  return { addressed: Boolean(mention) || commandForUs || repliedTo, text: stripped };
}

/**
 * One Telegram update as the adapter's work: a job for the queue, a note that the message's kind is
 * unsupported, or nothing (another bot, a group message not for us, an edit). The jobId derives from
 * the update id; the conversation is the chat (a forum topic is its own).
 */
export function toTelegramEvent(update: TelegramUpdate, { bot, jwtKey, groupMode }: TelegramEventContext): TelegramEvent {
  const message = update.message;
  if (!message) return { kind: 'ignore', reason: 'not a new message' };
  const from = message.from;
  if (!from || from.is_bot) return { kind: 'ignore', reason: 'not from a person' };
  const direct = message.chat.type === 'private';
  if (message.chat.type === 'channel') return { kind: 'ignore', reason: 'a channel post' };
  if (!direct && groupMode === 'off') return { kind: 'ignore', reason: 'groups are off' };
  const { addressed, text } = direct ? { addressed: true, text: message.text ?? message.caption ?? '' } : addressing(message, bot);
  if (!direct && groupMode === 'mention' && !addressed) return { kind: 'ignore', reason: 'not addressed to the bot' };

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

  const identity = { platform: 'telegram' as const, externalId: String(from.id) };
  const conversation = target.threadId ? `telegram-${message.chat.id}-${target.threadId}` : `telegram-${message.chat.id}`;
  return {
    kind: 'job',
    target,
    job: {
      v: 1,
      id,
      requestId: `req_${randomUUID().replaceAll('-', '')}`,
      source: { platform: 'telegram', eventId: `${bot.id}:${update.update_id}`, receivedAt: new Date(message.date * 1000).toISOString(), direct },
      conversationId: conversation,
      identityToken: mintJobToken(jwtKey, id, identity),
      replyTo: { adapter: 'telegram', chat: target },
      capabilities: forJob(telegramCapabilities),
      input: { messages: [{ role: 'user', content: text }] },
      request: { stream: true },
    },
    ...(file ? { download: { fileId: file.file_id, name: file.file_name ?? 'document', mediaType: file.mime_type, size: file.file_size } } : {}),
  };
}
