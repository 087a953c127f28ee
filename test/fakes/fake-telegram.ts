import type { ServerResponse } from 'node:http';
import { sendJson, startFakeServer, type FakeServer, type RecordedRequest } from './fake-server.ts';

/**
 * A fake Telegram Bot API (https://core.telegram.org/bots/api) on 127.0.0.1, speaking its wire format:
 * `POST /bot<token>/<method>` with a JSON body, answered `{ ok: true, result }` or `{ ok: false,
 * error_code, description, parameters? }`. telegraf runs against it through `telegram.apiRoot`.
 *
 * It keeps what a chat would show: messages by chat, as edited, with the HTML parse mode checked as
 * Telegram checks it (only its tags, balanced; `<`, `>`, `&` escaped), so a formatting bug fails here as
 * it would in production. getUpdates long-polls and confirms by offset, as the real one does.
 */

export interface FakeMessage {
  chatId: number;
  messageId: number;
  /** As sent: HTML when parseMode is HTML. */
  text: string;
  parseMode: string | undefined;
  /** The text a person sees (tags removed, entities decoded): what Telegram's 4096 limit counts. */
  visible: string;
  replyTo: number | undefined;
  threadId: number | undefined;
  edits: number;
  /** Its inline keyboard's callback buttons, in order (every row); absent when it has none. */
  buttons?: FakeButton[];
}

export interface FakeButton {
  text: string;
  /** The callback_data a press sends back. */
  data: string;
  /** Bot API 9.4's colour: danger, success or primary. */
  style?: string;
}

export interface ApiFailure {
  error_code: number;
  description: string;
  parameters?: { retry_after?: number };
}

export interface FakeTelegram {
  apiRoot: string;
  token: string;
  bot: { id: number; username: string };
  requests: RecordedRequest[];
  /** Calls of one method, their JSON bodies in order. */
  calls(method: string): Record<string, unknown>[];
  /** Queues an update for getUpdates (or posts it to the webhook when one is set); its update_id. */
  push(update: Record<string, unknown>): number;
  /** A text message update from a person, with entities for a leading /command. */
  pushText(
    text: string,
    options?: { userId?: number; username?: string; chatId?: number; chatType?: 'private' | 'group' | 'supergroup'; updateId?: number; replyToBot?: boolean; entities?: unknown[] },
  ): number;
  /**
   * A person's press of a callback button carrying `data`, under the bot's message `messageId` (default:
   * the bot's newest message in the chat) in chat `chatId` (default: the presser's private chat; a
   * negative id is a supergroup). Queued like any update; its update_id. The callback query's id is
   * derived from the update id, so a redelivered update (same `updateId`) is the same query.
   */
  pushCallback(data: string, options?: { userId?: number; username?: string; chatId?: number; chatType?: 'private' | 'group' | 'supergroup'; messageId?: number; updateId?: number }): number;
  /** Presses the button labelled `label` on the bot's newest message in the chat that has one; its update_id. Throws if there is none. */
  press(chatId: number, label: string, options?: { userId?: number; username?: string }): number;
  /**
   * A file sent as a document with a caption, from a person in a private chat; the bot reads it with
   * getFile and GET /file/bot<token>/<file_path>, as from Telegram.
   */
  pushDocument(caption: string, file: { name: string; mimeType?: string; content: Uint8Array | string }, options?: { userId?: number }): number;
  /** Messages the bot has in a chat, oldest first. */
  messages(chatId: number): FakeMessage[];
  /** The next `count` calls of `method` (those `when` picks, by default all) fail with `failure`. */
  failNext(method: string, failure: ApiFailure, count?: number, when?: (body: Record<string, unknown>) => boolean): void;
  /** Whether the bot has confirmed the update (asked getUpdates for a later offset). */
  confirmed(updateId: number): boolean;
  /** Forgets failures planned and not yet used. */
  clearFailures(): void;
  /** getUpdates hangs (never answers) while true: a stalled long poll. */
  stallPolling(stalled: boolean): void;
  /** The webhook the bot set (url, secret), if any. */
  webhook(): { url: string; secretToken: string | undefined } | undefined;
  close(): Promise<void>;
  server: FakeServer;
}

/** An inline keyboard as Telegram checks it: rows of buttons with a text and 1-64 bytes of callback_data. */
function parseKeyboard(markup: unknown): { ok: true; buttons: FakeButton[] | undefined } | { ok: false; failure: ApiFailure } {
  if (markup === undefined) return { ok: true, buttons: undefined };
  // Multipart requests carry reply_markup as JSON text.
  const parsed = typeof markup === 'string' ? (JSON.parse(markup) as unknown) : markup;
  const rows = (parsed as { inline_keyboard?: unknown } | null)?.inline_keyboard;
  if (!Array.isArray(rows) || rows.some((row) => !Array.isArray(row))) return { ok: false, failure: { error_code: 400, description: 'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays' } };
  const buttons: FakeButton[] = [];
  for (const button of (rows as unknown[][]).flat() as { text?: unknown; callback_data?: unknown; style?: unknown; url?: unknown }[]) {
    if (typeof button.text !== 'string' || !button.text) return { ok: false, failure: { error_code: 400, description: 'Bad Request: BUTTON_TEXT_EMPTY' } };
    if (typeof button.url === 'string') continue; // a link, not pressed back to the bot
    const data = button.callback_data;
    if (typeof data !== 'string' || Buffer.byteLength(data) < 1 || Buffer.byteLength(data) > 64) return { ok: false, failure: { error_code: 400, description: 'Bad Request: BUTTON_DATA_INVALID' } };
    buttons.push({ text: button.text, data, ...(typeof button.style === 'string' ? { style: button.style } : {}) });
  }
  return { ok: true, buttons: buttons.length ? buttons : undefined };
}

const sameButtons = (a: FakeButton[] | undefined, b: FakeButton[] | undefined) => JSON.stringify(a ?? []) === JSON.stringify(b ?? []);

const allowedTags = new Set(['b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'span', 'tg-spoiler', 'a', 'code', 'pre', 'blockquote', 'tg-emoji']);

/** Telegram's HTML parse mode, as strict as the real one on what the adapter could get wrong. */
export function parseTelegramHtml(html: string): { ok: true; visible: string } | { ok: false; description: string } {
  const stack: string[] = [];
  let visible = '';
  let index = 0;
  const fail = (reason: string) => ({ ok: false as const, description: `Bad Request: can't parse entities: ${reason} at byte offset ${Buffer.byteLength(html.slice(0, index))}` });
  while (index < html.length) {
    const char = html[index]!;
    if (char === '<') {
      const tag = /^<(\/?)([a-z][\w-]*)((?:\s+[a-z-]+="[^"<>]*")*)\s*>/i.exec(html.slice(index));
      if (!tag) return fail('Unexpected character "<"; use "&lt;" for a literal <');
      const [whole, closing, name] = tag;
      const lower = name!.toLowerCase();
      if (!allowedTags.has(lower)) return fail(`Unsupported start tag "${lower}"`);
      if (closing) {
        if (stack.pop() !== lower) return fail(`Unmatched end tag "${lower}"`);
      } else stack.push(lower);
      index += whole.length;
      continue;
    }
    if (char === '&') {
      const entity = /^&(lt|gt|amp|quot|#\d{1,7}|#x[\da-f]{1,6});/i.exec(html.slice(index));
      if (!entity) return fail('Character "&" must be escaped as "&amp;"');
      const name = entity[1]!.toLowerCase();
      visible += name === 'lt' ? '<' : name === 'gt' ? '>' : name === 'amp' ? '&' : name === 'quot' ? '"' : String.fromCodePoint(Number(name.startsWith('#x') ? `0x${name.slice(2)}` : name.slice(1)));
      index += entity[0].length;
      continue;
    }
    if (char === '>') return fail('Unexpected character ">"; use "&gt;"');
    visible += char;
    index += 1;
  }
  if (stack.length > 0) return { ok: false, description: `Bad Request: can't parse entities: Can't find end tag corresponding to start tag "${stack.at(-1)}"` };
  return { ok: true, visible };
}

export async function startFakeTelegram({ token = '123456:TEST-token_for-fake', username = 'gateway_test_bot' } = {}): Promise<FakeTelegram> {
  const botId = Number(token.split(':')[0]);
  const bot = { id: botId, username };
  const updates: Record<string, unknown>[] = [];
  let nextUpdateId = 1000;
  let nextMessageId = 1;
  const chats = new Map<number, FakeMessage[]>();
  const failures = new Map<string, { failure: ApiFailure; count: number; when: (body: Record<string, unknown>) => boolean }>();
  const waiters = new Set<() => void>();
  let stalled = false;
  /** Updates pushed and not yet confirmed by a getUpdates with a later offset. */
  const unconfirmed = new Set<number>();
  let webhook: { url: string; secretToken: string | undefined } | undefined;
  /** Files people sent, by file_id: their path for download and their bytes. */
  const files = new Map<string, { path: string; content: Buffer }>();
  /** Callback queries pushed, by id, and whether answered (Telegram takes one answer per query). */
  const callbackQueries = new Map<string, { answered: boolean }>();

  const reply = (response: ServerResponse, result: unknown) => sendJson(response, 200, { ok: true, result });
  const refuse = (response: ServerResponse, failure: ApiFailure) => sendJson(response, failure.error_code, { ok: false, ...failure });
  const wake = () => {
    for (const waiter of waiters) waiter();
    waiters.clear();
  };

  const postToWebhook = async (update: Record<string, unknown>) => {
    const target = webhook!;
    await fetch(target.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(target.secretToken ? { 'x-telegram-bot-api-secret-token': target.secretToken } : {}) },
      body: JSON.stringify(update),
    }).catch(() => {});
  };

  const checkText = (body: Record<string, unknown>): { visible: string } | ApiFailure => {
    const text = body.text;
    if (typeof text !== 'string' || text.length === 0) return { error_code: 400, description: 'Bad Request: message text is empty' };
    let visible = text;
    if (body.parse_mode === 'HTML') {
      const parsed = parseTelegramHtml(text);
      if (!parsed.ok) return { error_code: 400, description: parsed.description };
      visible = parsed.visible;
    } else if (body.parse_mode !== undefined) return { error_code: 400, description: `Bad Request: unsupported parse_mode "${String(body.parse_mode)}" in this fake` };
    if (!visible.trim()) return { error_code: 400, description: 'Bad Request: message text is empty' };
    if (visible.length > 4096) return { error_code: 400, description: 'Bad Request: message is too long' };
    return { visible };
  };

  const methods: Record<string, (body: Record<string, unknown>, response: ServerResponse) => void | Promise<void>> = {
    getMe: (_, response) => reply(response, { id: botId, is_bot: true, first_name: 'Gateway', username, can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false }),
    setMyCommands: (body, response) => {
      const commands = body.commands;
      if (!Array.isArray(commands) || commands.length > 100) return refuse(response, { error_code: 400, description: 'Bad Request: commands must be an array of at most 100' });
      for (const entry of commands as { command?: unknown; description?: unknown }[]) {
        // As Telegram checks them: 1-32 lower-case letters, digits and underscores; 1-256 characters of description.
        if (typeof entry.command !== 'string' || !/^[a-z0-9_]{1,32}$/.test(entry.command)) return refuse(response, { error_code: 400, description: 'Bad Request: BOT_COMMAND_INVALID' });
        if (typeof entry.description !== 'string' || entry.description.length < 1 || entry.description.length > 256) {
          return refuse(response, { error_code: 400, description: 'Bad Request: command description is invalid' });
        }
      }
      reply(response, true);
    },
    deleteWebhook: (_, response) => {
      webhook = undefined;
      reply(response, true);
    },
    setWebhook: (body, response) => {
      if (typeof body.url !== 'string' || !/^https?:\/\//.test(body.url)) return refuse(response, { error_code: 400, description: 'Bad Request: bad webhook: an HTTPS URL must be provided for webhook' });
      webhook = { url: body.url, secretToken: typeof body.secret_token === 'string' ? body.secret_token : undefined };
      reply(response, true);
    },
    getUpdates: async (body, response) => {
      if (webhook) return refuse(response, { error_code: 409, description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first" });
      const offset = typeof body.offset === 'number' ? body.offset : undefined;
      for (const id of unconfirmed) if (offset !== undefined && id < offset) unconfirmed.delete(id);
      // Asking from an offset confirms every update before it: Telegram forgets them.
      if (offset !== undefined) while (updates.length && (updates[0]!.update_id as number) < offset) updates.shift();
      if (stalled) return; // never answered; the client gives up (or is restarted)
      const timeoutMs = (typeof body.timeout === 'number' ? body.timeout : 0) * 1000;
      if (updates.length === 0 && timeoutMs > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, timeoutMs);
          waiters.add(() => (clearTimeout(timer), resolve()));
        });
      }
      if (stalled || response.writableEnded || response.destroyed) return;
      reply(response, updates.slice(0, 100));
    },
    sendMessage: (body, response) => {
      const checked = checkText(body);
      if ('error_code' in checked) return refuse(response, checked);
      const keyboard = parseKeyboard(body.reply_markup);
      if (!keyboard.ok) return refuse(response, keyboard.failure);
      const chatId = Number(body.chat_id);
      const replyTo = (body.reply_parameters as { message_id?: number } | undefined)?.message_id ?? (body.reply_to_message_id as number | undefined);
      const message: FakeMessage = {
        chatId,
        messageId: nextMessageId++,
        text: body.text as string,
        parseMode: body.parse_mode as string | undefined,
        visible: checked.visible,
        replyTo,
        threadId: body.message_thread_id as number | undefined,
        edits: 0,
        ...(keyboard.buttons ? { buttons: keyboard.buttons } : {}),
      };
      chats.set(chatId, [...(chats.get(chatId) ?? []), message]);
      reply(response, { message_id: message.messageId, from: { id: botId, is_bot: true, first_name: 'Gateway', username }, chat: { id: chatId, type: chatId > 0 ? 'private' : 'group' }, date: Math.floor(Date.now() / 1000), text: checked.visible });
    },
    editMessageText: (body, response) => {
      const chatId = Number(body.chat_id);
      const message = chats.get(chatId)?.find((candidate) => candidate.messageId === Number(body.message_id));
      if (!message) return refuse(response, { error_code: 400, description: 'Bad Request: message to edit not found' });
      const checked = checkText(body);
      if ('error_code' in checked) return refuse(response, checked);
      const keyboard = parseKeyboard(body.reply_markup);
      if (!keyboard.ok) return refuse(response, keyboard.failure);
      if (message.text === body.text && message.parseMode === body.parse_mode && sameButtons(message.buttons, keyboard.buttons)) {
        return refuse(response, { error_code: 400, description: 'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message' });
      }
      Object.assign(message, { text: body.text as string, parseMode: body.parse_mode as string | undefined, visible: checked.visible, edits: message.edits + 1 });
      // An edit without reply_markup takes the keyboard away, as Telegram does.
      if (keyboard.buttons) message.buttons = keyboard.buttons;
      else delete message.buttons;
      reply(response, { message_id: message.messageId, chat: { id: chatId, type: 'private' }, date: Math.floor(Date.now() / 1000), text: checked.visible });
    },
    getFile: (body, response) => {
      const file = files.get(String(body.file_id));
      if (!file) return refuse(response, { error_code: 400, description: 'Bad Request: invalid file_id' });
      reply(response, { file_id: body.file_id, file_unique_id: `u${String(body.file_id)}`, file_size: file.content.length, file_path: file.path });
    },
    answerCallbackQuery: (body, response) => {
      const query = callbackQueries.get(String(body.callback_query_id));
      if (!query || query.answered) return refuse(response, { error_code: 400, description: 'Bad Request: query is too old and response timeout expired or query ID is invalid' });
      query.answered = true;
      reply(response, true);
    },
    sendChatAction: (body, response) => (body.action === 'typing' ? reply(response, true) : refuse(response, { error_code: 400, description: 'Bad Request: wrong parameter action in request' })),
  };

  const server = await startFakeServer(async (request, response) => {
    const download = /^\/file\/bot([^/]+)\/(.+)$/.exec(request.url);
    if (download && request.method === 'GET') {
      const file = [...files.values()].find((candidate) => candidate.path === download[2]);
      if (download[1] !== token || !file) return refuse(response, { error_code: 404, description: 'Not Found' });
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': file.content.length }).end(file.content);
      return;
    }
    const match = /^\/bot([^/]+)\/(\w+)$/.exec(request.url.split('?')[0] ?? '');
    if (!match || request.method !== 'POST') return refuse(response, { error_code: 404, description: 'Not Found' });
    const [, presented, method] = match;
    if (presented !== token) return refuse(response, { error_code: 401, description: 'Unauthorized' });
    const handler = methods[method!];
    if (!handler) return refuse(response, { error_code: 404, description: 'Not Found: method not found' });
    const planned = failures.get(method!);
    if (planned && planned.count > 0 && planned.when((request.body ?? {}) as Record<string, unknown>)) {
      planned.count -= 1;
      return refuse(response, planned.failure);
    }
    await handler((request.body ?? {}) as Record<string, unknown>, response);
  });

  const push = (update: Record<string, unknown>) => {
    const updateId = typeof update.update_id === 'number' ? update.update_id : nextUpdateId++;
    const full = { ...update, update_id: updateId };
    unconfirmed.add(updateId);
    if (webhook) void postToWebhook(full);
    else {
      updates.push(full);
      wake();
    }
    return updateId;
  };

  const person = (userId: number, username: string | undefined) => ({ id: userId, is_bot: false, first_name: `User${userId}`, ...(username ? { username } : {}), language_code: 'en' });

  const pushCallback: FakeTelegram['pushCallback'] = (data, { userId = 42, username, chatId = userId, chatType = chatId > 0 ? 'private' : 'supergroup', messageId, updateId } = {}) => {
    const id = updateId ?? nextUpdateId++;
    const queryId = `cbq-${botId}-${id}`;
    if (!callbackQueries.has(queryId)) callbackQueries.set(queryId, { answered: false });
    const shown = chats.get(chatId) ?? [];
    const pressed = messageId === undefined ? shown.at(-1) : shown.find((candidate) => candidate.messageId === messageId);
    const chat = chatType === 'private' ? { id: chatId, type: 'private', first_name: `User${userId}` } : { id: chatId, type: chatType, title: 'A group' };
    // The message the button was under, as Telegram includes it: the bot's, with its keyboard.
    const message = {
      message_id: pressed?.messageId ?? messageId ?? 1,
      from: { id: botId, is_bot: true, first_name: 'Gateway', username },
      chat,
      date: Math.floor(Date.now() / 1000),
      ...(pressed ? { text: pressed.visible } : {}),
      ...(pressed?.threadId !== undefined ? { message_thread_id: pressed.threadId, is_topic_message: true } : {}),
      ...(pressed?.buttons ? { reply_markup: { inline_keyboard: [pressed.buttons.map((button) => ({ text: button.text, callback_data: button.data }))] } } : {}),
    };
    return push({ update_id: id, callback_query: { id: queryId, from: person(userId, username), message, chat_instance: `ci${chatId}`, data } });
  };

  return {
    apiRoot: server.origin,
    token,
    bot,
    requests: server.requests,
    calls: (method) => server.requests.filter((request) => request.url.endsWith(`/${method}`)).map((request) => (request.body ?? {}) as Record<string, unknown>),
    push,
    pushText(text, { userId = 42, username, chatId = userId, chatType = 'private', updateId, replyToBot = false, entities } = {}) {
      const command = /^\/\w+(@\w+)?/.exec(text);
      return push({
        ...(updateId === undefined ? {} : { update_id: updateId }),
        message: {
          message_id: nextMessageId++,
          from: person(userId, username),
          chat: chatType === 'private' ? { id: chatId, type: 'private', first_name: `User${userId}` } : { id: chatId, type: chatType, title: 'A group' },
          date: Math.floor(Date.now() / 1000),
          text,
          ...(entities ? { entities } : command ? { entities: [{ type: 'bot_command', offset: 0, length: command[0].length }] } : {}),
          ...(replyToBot ? { reply_to_message: { message_id: 1, from: { id: botId, is_bot: true, first_name: 'Gateway', username }, chat: { id: chatId, type: chatType }, date: 0, text: 'earlier' } } : {}),
        },
      });
    },
    pushDocument(caption, file, { userId = 42 } = {}) {
      const fileId = `file-${files.size + 1}`;
      const content = Buffer.from(file.content);
      files.set(fileId, { path: `documents/${fileId}-${file.name}`, content });
      const command = /^\/\w+(@\w+)?/.exec(caption);
      return push({
        message: {
          message_id: nextMessageId++,
          from: { id: userId, is_bot: false, first_name: `User${userId}`, language_code: 'en' },
          chat: { id: userId, type: 'private', first_name: `User${userId}` },
          date: Math.floor(Date.now() / 1000),
          document: { file_id: fileId, file_unique_id: `u${fileId}`, file_name: file.name, ...(file.mimeType ? { mime_type: file.mimeType } : {}), file_size: content.length },
          caption,
          ...(command ? { caption_entities: [{ type: 'bot_command', offset: 0, length: command[0].length }] } : {}),
        },
      });
    },
    pushCallback,
    press(chatId, label, options = {}) {
      const message = (chats.get(chatId) ?? []).findLast((candidate) => candidate.buttons?.some((button) => button.text === label));
      if (!message) throw new Error(`no message of the bot in chat ${chatId} has a button labelled ${JSON.stringify(label)}`);
      const button = message.buttons!.find((candidate) => candidate.text === label)!;
      return pushCallback(button.data, { ...options, chatId, messageId: message.messageId });
    },
    messages: (chatId) => chats.get(chatId) ?? [],
    failNext(method, failure, count = 1, when = () => true) {
      failures.set(method, { failure, count, when });
    },
    confirmed: (updateId) => !unconfirmed.has(updateId),
    clearFailures() {
      failures.clear();
    },
    stallPolling(value) {
      stalled = value;
      if (!value) wake();
    },
    webhook: () => webhook,
    close: () => server.close(),
    server,
  };
}
