import type { Reply, ReplyAction } from '../../core/contracts/reply.ts';
import type { Dialect } from './markdown.ts';
import { splitMessage } from './split-message.ts';

/** One message of a reply as the platform gets it: in its dialect, or plain text (no markup parsed). */
export interface ChatMessage {
  text: string;
  plain: boolean;
  /** The reply's buttons, on its last message. */
  buttons?: readonly ReplyAction[];
}

/** Plain text in pieces of at most `limit`, cut at a line, else a word, else anywhere. */
export function splitPlain(text: string, limit: number): string[] {
  const pieces: string[] = [];
  let rest = text.trim();
  while (rest.length > limit) {
    const window = rest.slice(0, limit + 1);
    const cut = [window.lastIndexOf('\n'), window.lastIndexOf(' ')].find((at) => at > limit / 2) ?? limit;
    pieces.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  if (rest) pieces.push(rest);
  return pieces;
}

/**
 * A reply as the messages a chat shows: the model's Markdown rendered in the platform's dialect and
 * split to its limit; an error as plain text, since its wording is ours and not markup.
 */
export function replyMessages(reply: Reply, dialect: Dialect, limit: number): ChatMessage[] {
  if (reply.status === 'error') return splitPlain(`⚠️ ${reply.error.message}`, limit).map((text) => ({ text, plain: true }));
  const rendered = splitMessage(reply.message.content, dialect, limit);
  const messages: ChatMessage[] = rendered.length > 0 ? rendered.map((text) => ({ text, plain: false })) : [{ text: '(The model answered with no text.)', plain: true }];
  if (reply.actions) messages.at(-1)!.buttons = reply.actions;
  return messages;
}
