import type { Route } from '../contracts/reply.ts';
import type { Tier } from './registry.ts';

/**
 * Why a job went to its tier. A bounded set, so it can label a metric:
 * - `think-command`: the chat said `/think` before this message;
 * - `tier-alias`: the request (or the chat's `/model`) named `instant` or `thinking`;
 * - `named-model`: the request (or the chat's `/model`) named a model, whose tier it is;
 * - `code`, `reasoning`, `long-input`, `tools`: the heuristic saw code, a reasoning cue, a long message,
 *   or a request that must call a tool;
 * - `default`: nothing asked for more than the instant tier.
 */
export type RouteReason = Route['reason'];

export interface RouteDecision {
  tier: Tier;
  reason: RouteReason;
  /** With `named-model`: the model to call, as named. */
  model?: string;
}

export interface TierHeuristic {
  /** `auto`: the heuristic may pick the thinking tier; `off`: only an explicit choice does. */
  mode: 'auto' | 'off';
  /** A message at least this long goes to the thinking tier. */
  longInputChars: number;
  /** Words or phrases (lower case) that ask for reasoning: "prove", "step by step"… */
  reasoningCues: readonly string[];
}

export const defaultReasoningCues = [
  'step by step',
  'prove',
  'proof',
  'derive',
  'analyze',
  'analyse',
  'compare',
  'trade-off',
  'tradeoff',
  'debug',
  'why does',
  'why is',
  'explain why',
  'reason about',
  'think carefully',
  'optimize',
  'algorithm',
];

export const defaultTierHeuristic: TierHeuristic = { mode: 'auto', longInputChars: 2000, reasoningCues: defaultReasoningCues };

export interface RouteInput {
  /** The model this request names (an HTTP client's `model`); `default` or absent: no choice. */
  requested: string | undefined;
  /** The model the chat chose with `/model`; `default` or absent: no choice. */
  chatModel: string | undefined;
  /** The tier the chat chose with `/tier`; absent: no choice. */
  chatTier?: Tier;
  /** The gateway-wide defaults (`/model global`, `/tier global`), below any choice of the chat's. */
  globalModel?: string;
  globalTier?: Tier;
  /** The registry's tier for a named model (not an alias). */
  tierOf: (model: string) => Tier;
  /** The chat said `/think` before this message. */
  thinkNext: boolean;
  /** The newest user message. */
  text: string;
  /** The request insists on a tool call (`tool_choice` required or a named function). */
  toolRequired: boolean;
}

/** Without a prototype: a model named `__proto__` or `constructor` is no tier. */
const tierNames: Readonly<Record<string, Tier>> = Object.assign(Object.create(null) as Record<string, Tier>, { instant: 'instant', thinking: 'thinking' });

// A fenced block, an indented code line after a blank line, or a line that reads like a statement.
const codePattern = /```|(^|\n)( {4}|\t)\S|(^|\n)\s*(def |class |function |import |#include|public |const |let |SELECT |for \(|if \(|while \()|=>|;\s*\n|\{\s*\n/;

/**
 * Decides the tier of one job. A choice wins over the heuristic: the request's model, then `/think`
 * for this one message, then the chat's `/model` and `/tier`, then the gateway's.
 */
export function decideTier(input: RouteInput, heuristic: TierHeuristic = defaultTierHeuristic): RouteDecision {
  const named = (name: string): RouteDecision => {
    const alias = tierNames[name];
    return alias ? { tier: alias, reason: 'tier-alias' } : { tier: input.tierOf(name), reason: 'named-model', model: name };
  };
  if (chosen(input.requested)) return named(input.requested);
  if (input.thinkNext) return { tier: 'thinking', reason: 'think-command' };
  if (chosen(input.chatModel)) return named(input.chatModel);
  if (input.chatTier) return { tier: input.chatTier, reason: 'tier-alias' };
  if (chosen(input.globalModel)) return named(input.globalModel);
  if (input.globalTier) return { tier: input.globalTier, reason: 'tier-alias' };
  if (heuristic.mode === 'off') return { tier: 'instant', reason: 'default' };
  if (input.toolRequired) return { tier: 'thinking', reason: 'tools' };
  if (codePattern.test(input.text)) return { tier: 'thinking', reason: 'code' };
  const lower = input.text.toLowerCase();
  if (heuristic.reasoningCues.some((cue) => containsWords(lower, cue))) return { tier: 'thinking', reason: 'reasoning' };
  if (input.text.length >= heuristic.longInputChars) return { tier: 'thinking', reason: 'long-input' };
  return { tier: 'instant', reason: 'default' };
}

const chosen = (name: string | undefined): name is string => name !== undefined && name !== 'default';

/** `cue` as whole words: "plan" matches "plan a trip", not "planet". */
function containsWords(text: string, cue: string): boolean {
  let from = text.indexOf(cue);
  while (from !== -1) {
    const before = text[from - 1];
    const after = text[from + cue.length];
    if ((before === undefined || !/\w/.test(before)) && (after === undefined || !/\w/.test(after))) return true;
    from = text.indexOf(cue, from + 1);
  }
  return false;
}
