import type { Telegram } from 'telegraf';
import type { ReplyAction } from '../../core/contracts/reply.ts';
import { telegramCapabilities } from '../kit/capabilities.ts';
import { PlatformCallError, type ChatTarget, type ChatTransport } from '../kit/chat-transport.ts';
import { telegramHtml } from '../kit/telegram-html.ts';

/** What telegraf throws for an answer with `ok: false` (TelegramError), or node-fetch for a failed call. */
interface CallFailure {
  response?: { error_code?: number; description?: string; parameters?: { retry_after?: number } };
  code?: string | number;
  type?: string;
  message?: string;
}

/** Failures where the request never reached Telegram: it certainly was not acted on. */
const notSent = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * A Bot API failure as the kit's error. The description is Telegram's own ("Bad Request: can't parse
 * entities…"), never the request: telegraf's error carries the payload, which holds the user's text.
 */
export function toPlatformError(error: unknown): PlatformCallError {
  const failure = (error ?? {}) as CallFailure;
  const response = failure.response;
  if (response?.error_code !== undefined) {
    const status = response.error_code;
    const description = response.description ?? `error ${status}`;
    if (status === 429) {
      const retryAfterMs = (response.parameters?.retry_after ?? 1) * 1000;
      return new PlatformCallError('platform_rate_limited', `Telegram: ${description}`, { retryAfterMs });
    }
    if (status === 400 && /can't parse entities|unsupported start tag|can't find end tag/i.test(description)) {
      return new PlatformCallError('platform_formatting_rejected', `Telegram: ${description}`);
    }
    if (status >= 500) return new PlatformCallError('platform_unavailable', `Telegram: ${description}`);
    return new PlatformCallError('platform_refused', `Telegram: ${description}`);
  }
  const code = String(failure.code ?? '');
  // A timeout or a reset connection: Telegram may have acted on the call before the answer was lost.
  return new PlatformCallError('platform_unavailable', `Telegram could not be reached (${code || failure.type || 'network error'}).`, {
    uncertain: !notSent.has(code),
  });
}

const isNotModified = (error: unknown) => /message is not modified/i.test((error as CallFailure | undefined)?.response?.description ?? '');

/**
 * Buttons as an inline keyboard, one row. A press sends the command back as the callback query's
 * `data` (at most 64 bytes, which the contract's commands keep to). `style` colours the button (Bot API
 * 9.4); telegraf's types predate it, and servers that do not know it ignore it.
 */
export function inlineKeyboard(buttons: readonly ReplyAction[]) {
  return {
    inline_keyboard: [buttons.map(({ label, command, style }) => ({ text: label, callback_data: command, ...(style ? { style } : {}) }))],
  };
}

/** The kit's calls over telegraf's Bot API client, in HTML parse mode. */
export function telegramTransport(telegram: Telegram): ChatTransport {
  const thread = (target: ChatTarget) => (target.threadId ? { message_thread_id: Number(target.threadId) } : {});
  // An edit without reply_markup removes a keyboard the message had: buttons are given on every edit that keeps them.
  const markup = (buttons: readonly ReplyAction[] | undefined) => (buttons?.length ? { reply_markup: inlineKeyboard(buttons) } : {});
  return {
    platform: 'telegram',
    capabilities: telegramCapabilities,
    dialect: telegramHtml,
    async send(target, text, { plain = false, replyToMessageId, buttons } = {}) {
      try {
        const message = await telegram.sendMessage(target.id, text, {
          ...(plain ? {} : { parse_mode: 'HTML' as const }),
          ...thread(target),
          // A reply survives its question being deleted meanwhile.
          ...(replyToMessageId ? { reply_parameters: { message_id: Number(replyToMessageId), allow_sending_without_reply: true } } : {}),
          link_preview_options: { is_disabled: true },
          ...markup(buttons),
        });
        return String(message.message_id);
      } catch (error) {
        throw toPlatformError(error);
      }
    },
    async edit(target, messageId, text, { plain = false, buttons } = {}) {
      try {
        await telegram.editMessageText(target.id, Number(messageId), undefined, text, {
          ...(plain ? {} : { parse_mode: 'HTML' as const }),
          link_preview_options: { is_disabled: true },
          ...markup(buttons),
        });
      } catch (error) {
        if (isNotModified(error)) return;
        throw toPlatformError(error);
      }
    },
    async typing(target) {
      await telegram.sendChatAction(target.id, 'typing', thread(target)).catch(() => {});
    },
  };
}
