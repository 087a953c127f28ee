import type { ReplyTo } from '../../core/contracts/job.ts';
import type { ReplyAction } from '../../core/contracts/reply.ts';
import { GatewayError, type GatewayErrorOptions } from '../../core/errors/gateway-error.ts';
import type { Capabilities } from './capabilities.ts';
import type { Dialect } from './markdown.ts';

/** Where in a chat platform a reply goes. */
export type ChatTarget = NonNullable<ReplyTo['chat']>;

export interface SendOptions {
  /** Send the text as is, no formatting parsed (the fallback when the platform rejects the markup). */
  plain?: boolean;
  /** The message this one answers, shown as a reply to it. */
  replyToMessageId?: string;
  /**
   * Buttons under the message (Telegram's inline keyboard, Discord's components, Slack's actions block).
   * A press comes back as a job whose text is the button's command, from the presser, in this chat.
   */
  buttons?: readonly ReplyAction[];
}

/**
 * The few calls the kit needs from a chat platform, each adapter's small driver over its SDK. Errors
 * are PlatformCallErrors, so the kit knows to wait, re-send plain, or give up.
 */
export interface ChatTransport {
  readonly platform: ReplyTo['adapter'];
  readonly capabilities: Capabilities;
  readonly dialect: Dialect;
  /** Posts a message; its platform id. */
  send(target: ChatTarget, text: string, options?: SendOptions): Promise<string>;
  /** Replaces a message's text. Editing to the same text succeeds. */
  edit(target: ChatTarget, messageId: string, text: string, options?: Pick<SendOptions, 'plain' | 'buttons'>): Promise<void>;
  /** Shows that an answer is being written (Telegram's "typing…"), where the platform has it. */
  typing(target: ChatTarget): Promise<void>;
}

export interface PlatformCallErrorOptions extends GatewayErrorOptions {
  /** Whether the platform may have acted before failing (a timeout): then a retry could post twice. */
  uncertain?: boolean;
}

/** A chat platform call that failed, classified. */
export class PlatformCallError extends GatewayError {
  readonly uncertain: boolean;

  constructor(code: 'platform_rate_limited' | 'platform_formatting_rejected' | 'platform_refused' | 'platform_unavailable', message: string, options: PlatformCallErrorOptions = {}) {
    super(code, message, options);
    this.name = 'PlatformCallError';
    this.uncertain = options.uncertain ?? false;
  }
}
