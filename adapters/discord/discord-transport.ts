import { ButtonStyle, ComponentType, DiscordAPIError, HTTPError, MessageFlags, RateLimitError, Routes, type REST } from 'discord.js';
import type { ReplyAction } from '../../core/contracts/reply.ts';
import { discordCapabilities } from '../kit/capabilities.ts';
import { PlatformCallError, type ChatTarget, type ChatTransport } from '../kit/chat-transport.ts';
import { discordMarkdown, escapeDiscord } from '../kit/discord-markdown.ts';
import type { InteractionTokens } from '../kit/interaction-tokens.ts';

/** Failures where the request never reached Discord: it certainly was not acted on. */
const notSent = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * A REST failure as the kit's error. The message is Discord's own ("Invalid Form Body…", "Missing
 * Permissions"), never the request body, which holds the reply's text.
 */
export function toPlatformError(error: unknown): PlatformCallError {
  if (error instanceof RateLimitError) {
    return new PlatformCallError('platform_rate_limited', `Discord: rate limited on ${error.route}`, { retryAfterMs: error.retryAfter });
  }
  if (error instanceof DiscordAPIError || error instanceof HTTPError) {
    const { status } = error;
    const description = error instanceof DiscordAPIError ? `${error.message} (code ${error.code})` : `HTTP ${status}`;
    if (status >= 500) return new PlatformCallError('platform_unavailable', `Discord: ${description}`);
    return new PlatformCallError('platform_refused', `Discord: ${description}`);
  }
  const failure = (error ?? {}) as { name?: string; code?: string; cause?: { code?: string } };
  const code = failure.code ?? failure.cause?.code ?? failure.name ?? 'network error';
  // A timeout or a reset connection: Discord may have acted on the call before the answer was lost.
  return new PlatformCallError('platform_unavailable', `Discord could not be reached (${code}).`, { uncertain: !notSent.has(code) });
}

/** An interaction's token and whether its answers are private, as the adapter keeps them. */
export interface InteractionGrant {
  token: string;
  ephemeral: boolean;
}

export interface DiscordTransportOptions {
  rest: REST;
  applicationId: string;
  /** Interaction tokens, by interaction id, as JSON InteractionGrants. */
  tokens: InteractionTokens;
}

/** No pings, ever: the model's text cannot notify @everyone, @here, a role or a user. */
const allowedMentions = { parse: [] as string[] };

const buttonStyles = { danger: ButtonStyle.Danger, primary: ButtonStyle.Primary } as const;

/**
 * A reply's buttons as one action row (a reply has at most 5, a row's limit), each pressed as its
 * command: the custom_id comes back in the press's interaction. No buttons given: the message's own
 * are left as they are (a live edit keeps them); none (an empty list): they are taken away.
 */
function componentsOf(buttons: readonly ReplyAction[] | undefined) {
  if (!buttons) return {};
  if (buttons.length === 0) return { components: [] };
  const row = buttons.map(({ label, command, style }) => ({ type: ComponentType.Button, style: style ? buttonStyles[style] : ButtonStyle.Secondary, label, custom_id: command }));
  return { components: [{ type: ComponentType.ActionRow, components: row }] };
}

/**
 * The kit's calls over discord.js's REST client, whose per-route rate-limit buckets pace every call.
 * A message in a channel is answered with channel messages (a reply to it); a slash command through
 * its interaction: the deferred response edited, more parts as follow-ups, while its token lives
 * (15 minutes, the same as the kit's default cutoff for stale replies).
 */
export function discordTransport({ rest, applicationId, tokens }: DiscordTransportOptions): ChatTransport {
  const grantOf = async (target: ChatTarget): Promise<InteractionGrant | undefined> => {
    if (!target.interactionId) return undefined;
    const saved = await tokens.load(target.interactionId);
    return saved ? (JSON.parse(saved) as InteractionGrant) : undefined;
  };
  const expired = () => new PlatformCallError('platform_refused', 'Discord: the interaction expired (15 minutes) before its answer was ready.');
  // Text as is, not Markdown: escaped so Discord shows it literally. Links are not previewed, as in Telegram.
  const body = (text: string, plain: boolean, flags = 0) => ({ content: plain ? escapeDiscord(text) : text, allowed_mentions: allowedMentions, flags: flags | MessageFlags.SuppressEmbeds });
  const call = async <T>(request: () => Promise<T>): Promise<T> => {
    try {
      return await request();
    } catch (error) {
      throw toPlatformError(error);
    }
  };

  return {
    platform: 'discord',
    capabilities: discordCapabilities,
    dialect: discordMarkdown,
    async send(target, text, { plain = false, replyToMessageId, buttons } = {}) {
      const grant = await grantOf(target);
      const components = componentsOf(buttons);
      if (grant) {
        const flags = grant.ephemeral ? MessageFlags.Ephemeral : 0;
        const followUp = { ...body(text, plain, flags), ...components };
        const message = await call(() => rest.post(Routes.webhook(applicationId, grant.token), { body: followUp, auth: false, query: new URLSearchParams({ wait: 'true' }) }));
        return (message as { id: string }).id;
      }
      // Past its window, an interaction's answer is not moved to the channel: it may have been private.
      if (target.interactionId) throw expired();
      const reference = replyToMessageId ? { message_reference: { message_id: replyToMessageId, fail_if_not_exists: false } } : {};
      const message = await call(() => rest.post(Routes.channelMessages(target.id), { body: { ...body(text, plain), ...reference, ...components } }));
      return (message as { id: string }).id;
    },
    async edit(target, messageId, text, { plain = false, buttons } = {}) {
      const grant = await grantOf(target);
      const edited = { ...body(text, plain), ...componentsOf(buttons) };
      if (grant) {
        // A slash command's first message is its deferred response, @original: its buttons come with this edit.
        await call(() => rest.patch(Routes.webhookMessage(applicationId, grant.token, messageId), { body: edited, auth: false }));
        return;
      }
      if (target.interactionId) throw expired();
      await call(() => rest.patch(Routes.channelMessage(target.id, messageId), { body: edited }));
    },
    async typing(target) {
      // A slash command's deferred response already shows "thinking…".
      if (target.interactionId) return;
      await rest.post(Routes.channelTyping(target.id)).catch(() => {});
    },
  };
}
