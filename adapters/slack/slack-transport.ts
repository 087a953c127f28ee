import type { types } from '@slack/bolt';
import { ErrorCode, type WebClient } from '@slack/web-api';
import { slackCapabilities } from '../kit/capabilities.ts';
import { PlatformCallError, type ChatTarget, type ChatTransport } from '../kit/chat-transport.ts';
import type { InteractionTokens } from '../kit/interaction-tokens.ts';
import { escapeMrkdwn, slackMrkdwn } from '../kit/slack-mrkdwn.ts';
import { messageBlocks } from './slack-blocks.ts';

/** A message's blocks, when it has buttons. */
type Blocks = { blocks?: types.KnownBlock[] };

/** Failures where the request never reached Slack: it certainly was not acted on. */
const notSent = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
/** Slack's own errors that mean "try again later"; the rest are for good. */
const transient = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'ratelimited']);

interface SlackCallFailure {
  code?: string;
  data?: { error?: string };
  statusCode?: number;
  retryAfter?: number;
  original?: { code?: string; cause?: { code?: string } };
}

/** A Web API failure as the kit's error: Slack's error code ("channel_not_found"), never the request, which holds the reply. */
export function toPlatformError(error: unknown): PlatformCallError {
  const failure = (error ?? {}) as SlackCallFailure;
  if (failure.code === ErrorCode.RateLimitedError) {
    return new PlatformCallError('platform_rate_limited', 'Slack: rate limited', { retryAfterMs: (failure.retryAfter ?? 1) * 1000 });
  }
  if (failure.code === ErrorCode.PlatformError) {
    const code = failure.data?.error ?? 'unknown_error';
    return new PlatformCallError(transient.has(code) ? 'platform_unavailable' : 'platform_refused', `Slack: ${code}`);
  }
  if (failure.code === ErrorCode.HTTPError) {
    return new PlatformCallError((failure.statusCode ?? 500) >= 500 ? 'platform_unavailable' : 'platform_refused', `Slack: HTTP ${failure.statusCode}`);
  }
  const code = failure.original?.code ?? failure.original?.cause?.code ?? 'network error';
  // A timeout or a reset connection: Slack may have posted before the answer was lost.
  return new PlatformCallError('platform_unavailable', `Slack could not be reached (${code}).`, { uncertain: !notSent.has(code) });
}

/** A slash command's or a button press's response_url, and whether its answers are private, as the adapter keeps them. */
export interface CommandGrant {
  responseUrl: string;
  ephemeral: boolean;
}

export interface SlackTransportOptions {
  client: WebClient;
  /** Slash commands' response URLs, by trigger id, as JSON CommandGrants. */
  tokens: InteractionTokens;
  /** For response_url calls. Default: global fetch. */
  fetch?: typeof fetch;
  /** How long a response_url call may take. Default: 10 s. */
  timeoutMs?: number;
}

/**
 * The kit's calls over Slack's Web API client (bolt's WebClient): `chat.postMessage` in the thread,
 * `chat.update` for live edits; a slash command or a button press is answered through its response_url
 * (30 minutes), privately or in the channel. Buttons go in an actions block under the text's sections.
 * Slack has no typing indicator for bots.
 */
export function slackTransport({ client, tokens, fetch: post = fetch, timeoutMs = 10_000 }: SlackTransportOptions): ChatTransport {
  const call = async <T>(request: () => Promise<T>): Promise<T> => {
    try {
      return await request();
    } catch (error) {
      throw toPlatformError(error);
    }
  };
  const respond = async (target: ChatTarget, text: string, blocks: Blocks) => {
    const saved = await tokens.load(target.interactionId!);
    if (!saved) throw new PlatformCallError('platform_refused', 'Slack: the command expired (30 minutes) before its answer was ready.');
    const grant = JSON.parse(saved) as CommandGrant;
    let response: Response;
    try {
      response = await post(grant.responseUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text, ...blocks, response_type: grant.ephemeral ? 'ephemeral' : 'in_channel', replace_original: false }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw toPlatformError({ original: error as SlackCallFailure['original'] });
    }
    if (!response.ok) throw new PlatformCallError(response.status >= 500 ? 'platform_unavailable' : 'platform_refused', `Slack: response_url answered HTTP ${response.status}`);
    return `response:${target.interactionId}`;
  };

  return {
    platform: 'slack',
    capabilities: slackCapabilities,
    dialect: slackMrkdwn,
    async send(target, text, { plain = false, buttons } = {}) {
      const content = plain ? escapeMrkdwn(text) : text;
      const blocks = buttons?.length ? { blocks: messageBlocks(text, plain, buttons) } : {};
      if (target.interactionId) return respond(target, content, blocks);
      const result = await call(() =>
        client.chat.postMessage({
          channel: target.id,
          text: content,
          ...blocks,
          mrkdwn: !plain,
          unfurl_links: false,
          unfurl_media: false,
          ...(target.threadId ? { thread_ts: target.threadId } : {}),
        }),
      );
      return String(result.ts);
    },
    async edit(target, messageId, text, { plain = false, buttons } = {}) {
      if (target.interactionId) throw new PlatformCallError('platform_refused', 'Slack: a command answer cannot be edited');
      // chat.update keeps a message's blocks unless given others: an empty list takes earlier buttons away.
      const blocks = buttons?.length ? messageBlocks(text, plain, buttons) : [];
      await call(() => client.chat.update({ channel: target.id, ts: messageId, text: plain ? escapeMrkdwn(text) : text, blocks }));
    },
    async typing() {},
  };
}
