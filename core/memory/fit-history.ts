import type { Message } from '../contracts/message.ts';
import { estimateMessageTokens } from '../models/estimate-tokens.ts';

export interface FittedHistory<T extends Message> {
  /** The newest turns that fit, oldest first, starting with a user turn. */
  kept: T[];
  /** The older turns left out, oldest first. */
  dropped: T[];
}

/** A turn's share of the prompt: its text, and the calls it made. */
export function turnTokens(message: Message): number {
  const calls = message.role === 'assistant' ? (message.toolCalls ?? []).map((call) => call.name + call.arguments).join('') : '';
  return estimateMessageTokens(message.content + calls);
}

/**
 * Keeps the newest turns within `budget` tokens and drops the rest, oldest first. The kept turns start
 * with a user turn, since a conversation the model sees opening with its own answer confuses some
 * providers (and Anthropic refuses it).
 */
export function fitHistory<T extends Message>(history: readonly T[], budget: number): FittedHistory<T> {
  let from = history.length;
  let spent = 0;
  while (from > 0) {
    const cost = turnTokens(history[from - 1]!);
    if (spent + cost > budget) break;
    spent += cost;
    from -= 1;
  }
  while (from < history.length && history[from]!.role !== 'user') from += 1;
  return { kept: history.slice(from), dropped: history.slice(0, from) };
}
