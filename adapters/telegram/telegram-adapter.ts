import { createHash, timingSafeEqual } from 'node:crypto';
import { AttachmentError, checkAttachmentSize, readAttachment } from '../kit/attachments.ts';
import { oversizedNote } from '../kit/gateway-note.ts';
import type { FastifyPluginAsync } from 'fastify';
import { Telegraf } from 'telegraf';
import type { BotCommand } from 'telegraf/types';
import { commandSpecs } from '../../core/contracts/commands.ts';
import { GatewayError } from '../../core/errors/gateway-error.ts';
import type { ChatAdapter, ChatAdapterParts } from '../kit/chat-adapter.ts';
import { ChatReplies } from '../kit/chat-replies.ts';
import { Watchdog } from '../kit/watchdog.ts';
import { TelegramPolling } from './polling.ts';
import { telegramTransport } from './telegram-transport.ts';
import { telegramAllowedUpdates, telegramUpdateSchema, type TelegramUpdate } from './telegram-update.ts';
import { toTelegramEvent, type BotIdentity, type GroupMode } from './to-job.ts';

export interface TelegramAdapterOptions extends Omit<ChatAdapterParts, 'tokens'> {
  /** TELEGRAM_BOT_TOKEN. */
  token: string;
  /** TELEGRAM_API_ROOT. Default: https://api.telegram.org. */
  apiRoot?: string;
  /** TELEGRAM_WEBHOOK_URL: updates pushed there; unset, the adapter long-polls. */
  webhookUrl?: string;
  /** TELEGRAM_WEBHOOK_SECRET, Telegram's `secret_token`. Default: derived from the bot token. */
  webhookSecret?: string;
  /** TELEGRAM_GROUP_MODE. Default: `mention`. */
  groupMode?: GroupMode;
  /** getUpdates long-poll timeout. Default: 25 s. */
  pollTimeoutSeconds?: number;
}

export interface TelegramAdapter extends ChatAdapter {
  bot: BotIdentity;
  /** The webhook endpoint to mount on the HTTP server, when updates come by webhook. */
  webhook?: FastifyPluginAsync;
}

/**
 * The commands Telegram offers in its menu: the gateway's, each answered the same in every chat.
 * Admin commands are listed too: Telegram's menu cannot tell who is an admin, and core refuses others.
 */
export const telegramCommands: readonly BotCommand[] = commandSpecs.map(({ name, description }) => ({ command: name, description }));

/** Telegram's secret_token: 1-256 of A-Z a-z 0-9 _ -. Derived, it is stable across replicas and restarts. */
export const webhookSecretFor = (token: string) => createHash('sha256').update(`telegram-webhook:${token}`).digest('base64url');

const sameSecret = (given: unknown, expected: string) =>
  typeof given === 'string' && given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));

/**
 * The Telegram adapter: updates by long polling (default) or webhook become jobs; replies come back
 * through the outbound queue and are posted as HTML, threaded to the question, split to 4096
 * characters, streamed as throttled edits, each message exactly once.
 */
export async function startTelegramAdapter(options: TelegramAdapterOptions): Promise<TelegramAdapter> {
  const { token, apiRoot, webhookUrl, groupMode = 'mention', jwtKey, enqueue, log, pollTimeoutSeconds = 25 } = options;
  const { webhookSecret = webhookSecretFor(token), stallMs = (pollTimeoutSeconds + 35) * 1000 } = options;
  const bot = new Telegraf(token, { telegram: { apiRoot: apiRoot ?? 'https://api.telegram.org' } });
  const { telegram } = bot;
  let me: BotIdentity;
  try {
    const info = await telegram.getMe();
    me = { id: info.id, username: info.username };
  } catch (error) {
    const status = (error as { response?: { error_code?: number } }).response?.error_code;
    throw new Error(status === 401 ? 'Telegram refused TELEGRAM_BOT_TOKEN (401 Unauthorized).' : `Telegram could not be reached: ${(error as Error).message}`);
  }
  const replies = new ChatReplies({ transport: telegramTransport(telegram), parts: options });
  const context = { bot: me, jwtKey, groupMode };

  /**
   * A button press is answered at once, whatever becomes of it: until it is, the client shows a spinner
   * on the button. Not awaited: queueing the press does not wait on it. Answering a redelivered press
   * again is refused by Telegram (the query is too old), which is harmless.
   */
  const answerPress = (update: TelegramUpdate) => {
    const press = update.callback_query;
    if (!press || press.from.is_bot) return;
    telegram.answerCbQuery(press.id).catch((error: unknown) => log.debug({ reason: (error as Error).message }, 'could not answer a Telegram callback query'));
  };

  /**
   * Where to download a file the person sent. Telegram refusing it (400: a file over the 20 MB bots may
   * download, or an id it does not know) will not change on a retry: that is told to the sender.
   */
  const fileLink = async (fileId: string, name: string) => {
    try {
      return await telegram.getFileLink(fileId);
    } catch (error) {
      const response = (error as { response?: { error_code?: number; description?: string } }).response;
      const status = response?.error_code ?? 0;
      if (status >= 400 && status < 500 && status !== 429) {
        throw new AttachmentError(`Telegram would not hand ${name} over to me (${response?.description ?? `error ${status}`}); bots can download files of up to 20 MB.`);
      }
      throw error;
    }
  };

  /** One update into the queue; resolves once it is safely there. */
  const handle = async (update: TelegramUpdate): Promise<void> => {
    answerPress(update);
    const event = toTelegramEvent(update, context);
    if (event.kind === 'ignore') return;
    if (event.kind === 'unsupported') return replies.cannotRead(event.jobId, event.target, event.what);
    const tooLong = oversizedNote(event.job);
    if (tooLong) return replies.note(event.job.id, event.target, tooLong);
    if (event.download) {
      const { fileId, ...file } = event.download;
      try {
        checkAttachmentSize(file);
        // The link holds the bot token: it is read here and never put in the job.
        const attachment = await readAttachment(await fileLink(fileId, file.name), file);
        event.job.input = { ...event.job.input, attachments: [attachment] };
      } catch (error) {
        if (error instanceof AttachmentError) return replies.note(event.job.id, event.target, error.message);
        throw error;
      }
    }
    await enqueue(event.job);
    await replies.follow(event.job, event.target);
  };

  await telegram.setMyCommands(telegramCommands).catch((error: unknown) => log.warn({ reason: (error as Error).message }, 'could not register the bot commands'));

  let polling: TelegramPolling | undefined;
  let watchdog: Watchdog | undefined;
  let webhook: FastifyPluginAsync | undefined;
  if (webhookUrl) {
    await telegram.setWebhook(webhookUrl, { secret_token: webhookSecret, allowed_updates: [...telegramAllowedUpdates] });
    const path = new URL(webhookUrl).pathname;
    // Refusals are thrown: the server it is mounted on (the HTTP adapter or the probe server) answers
    // them in the API's error shape.
    webhook = async (app) => {
      app.post(path, async (request, reply) => {
        if (!sameSecret(request.headers['x-telegram-bot-api-secret-token'], webhookSecret)) {
          throw new GatewayError('invalid_token', 'The X-Telegram-Bot-Api-Secret-Token header is missing or wrong.');
        }
        const parsed = telegramUpdateSchema.safeParse(request.body);
        if (!parsed.success) throw new GatewayError('invalid_request', 'The body is not a Telegram Update (it needs an integer update_id and a well-formed message or callback_query).');
        try {
          await handle(parsed.data);
        } catch (error) {
          // Telegram retries a webhook call that fails: the update is not lost.
          log.warn({ reason: (error as Error).message }, 'could not take a Telegram update; Telegram will retry');
          throw new GatewayError('queue_unavailable', 'The update could not be queued; retry later.');
        }
        return reply.code(200).send({ ok: true });
      });
    };
  } else {
    await telegram.deleteWebhook({ drop_pending_updates: false });
    watchdog = new Watchdog({ name: 'telegram', stallMs, log, restart: () => polling!.restart() });
    // Polled updates are validated here, as webhook bodies are above; one that fails is skipped, not retried forever.
    const takePolled = async (raw: unknown) => {
      const parsed = telegramUpdateSchema.safeParse(raw);
      if (parsed.success) await handle(parsed.data);
      else log.warn({ issues: parsed.error.issues.length }, 'a Telegram update that does not match the Bot API schema; skipped');
    };
    polling = new TelegramPolling({ telegram, handle: takePolled, log, timeoutSeconds: pollTimeoutSeconds, watchdog });
    watchdog.start();
    polling.start();
  }
  log.info({ bot: me.username, mode: webhookUrl ? 'webhook' : 'polling' }, 'Telegram adapter started');

  return {
    bot: me,
    deliver: (reply) => replies.deliver(reply),
    webhook,
    async health() {
      if (!watchdog) return { ok: true, detail: `@${me.username}, webhook` };
      const { status, sinceBeatMs, restarts } = watchdog.state();
      return { ok: status === 'ok', detail: `@${me.username}, polling ${status}; last answer ${Math.round(sinceBeatMs / 1000)} s ago; ${restarts} restarts` };
    },
    async close() {
      watchdog?.stop();
      await polling?.stop();
      await replies.close();
    },
  };
}
