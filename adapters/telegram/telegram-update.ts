import { z } from 'zod';

/**
 * The part of a Telegram Update the adapter reads (Bot API `Update`, `Message`, `CallbackQuery`),
 * validated at the edge: webhook bodies and polled updates alike. Unknown fields pass through untouched.
 */
const int = z.number().int();
/**
 * Unix time in seconds, up to the end of year 9999 (the last an ISO 8601 date, and so a job, can carry):
 * a `date` past it is no moment Telegram could send.
 */
export const maxUnixTime = 253_402_300_799;
const unixTime = int.nonnegative().max(maxUnixTime);

const userSchema = z.looseObject({ id: int, is_bot: z.boolean(), first_name: z.string(), username: z.string().optional() });

const entitySchema = z.looseObject({ type: z.string(), offset: int.nonnegative(), length: int.nonnegative(), user: userSchema.optional() });

/** Kinds of message the assistant cannot read yet, by the field that carries each. */
export const unsupportedKinds = {
  voice: 'voice messages',
  audio: 'audio',
  video_note: 'video messages',
  video: 'videos',
  photo: 'photos',
  animation: 'GIFs',
  sticker: 'stickers',
  document: 'documents',
  location: 'locations',
  venue: 'places',
  contact: 'contacts',
  poll: 'polls',
  dice: 'dice',
} as const;

/** A file sent as a document (Bot API `Document`). */
export const telegramDocumentSchema = z.looseObject({
  file_id: z.string().min(1),
  file_name: z.string().min(1).max(300).optional(),
  mime_type: z.string().max(200).optional(),
  file_size: int.nonnegative().optional(),
});

const chatSchema = z.looseObject({ id: int, type: z.enum(['private', 'group', 'supergroup', 'channel']) });

export const telegramMessageSchema = z.looseObject({
  message_id: int,
  message_thread_id: int.optional(),
  is_topic_message: z.boolean().optional(),
  from: userSchema.optional(),
  chat: chatSchema,
  date: unixTime,
  text: z.string().optional(),
  entities: z.array(entitySchema).optional(),
  caption: z.string().optional(),
  caption_entities: z.array(entitySchema).optional(),
  reply_to_message: z.looseObject({ message_id: int, from: userSchema.optional() }).optional(),
  ...Object.fromEntries(Object.keys(unsupportedKinds).map((kind) => [kind, z.unknown().optional()])),
});
export type TelegramMessage = z.infer<typeof telegramMessageSchema>;

/**
 * The bot's message whose button was pressed (Bot API `MaybeInaccessibleMessage`): only where it is,
 * which even a message too old to be shown again (`date` 0) still says.
 */
const pressedMessageSchema = z.looseObject({
  message_id: int,
  message_thread_id: int.optional(),
  is_topic_message: z.boolean().optional(),
  chat: chatSchema,
  date: unixTime,
});

/**
 * A press of an inline keyboard's button (Bot API `CallbackQuery`). `data` is the button's, as the
 * client sends it: a modified client may send any text, so it is taken as no more than what its presser
 * could have typed. Without `message` the button was on an inline-mode message, with no chat of ours.
 */
export const telegramCallbackQuerySchema = z.looseObject({
  id: z.string().min(1),
  from: userSchema,
  message: pressedMessageSchema.optional(),
  data: z.string().optional(),
});
export type TelegramCallbackQuery = z.infer<typeof telegramCallbackQuerySchema>;

export const telegramUpdateSchema = z.looseObject({
  update_id: int.nonnegative(),
  message: telegramMessageSchema.optional(),
  callback_query: telegramCallbackQuerySchema.optional(),
});

/** The updates the adapter asks for, by polling and by webhook alike: Telegram sends no others. */
export const telegramAllowedUpdates = ['message', 'callback_query'] as const;
export type TelegramUpdate = z.infer<typeof telegramUpdateSchema>;
