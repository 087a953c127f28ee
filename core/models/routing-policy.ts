import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Price } from '../usage/prices.ts';
import { providerAliases, providerIds, type ProviderId } from './provider-catalog.ts';
import type { Tier } from './registry.ts';

/**
 * A routing policy: for each tier, the deployments (provider + model) that may serve it and how one is
 * chosen per request. The chosen one is tried first, the others follow as failover, so a policy never
 * makes the gateway less available than the plain failover chain.
 *
 * - `priority`: in the order listed (what LLM_PROVIDER and LLM_FALLBACK_PROVIDERS give without a policy);
 * - `cheapest`: the lowest expected cost of this request (its estimated prompt tokens and expected
 *   output) by the price table, among deployments whose context window fits it;
 * - `fastest`: the lowest recent time to first token (an exponentially weighted moving average), a
 *   deployment not yet measured first, and now and then (`exploration`) another, so one that recovered
 *   is noticed;
 * - `weighted`: an A/B split by `weight`, sticky per user: the same person always lands on the same arm.
 */

export const strategies = ['priority', 'cheapest', 'fastest', 'weighted'] as const;
export type Strategy = (typeof strategies)[number];

const deploymentSchema = z
  .object({
    /** How usage, metrics and the audit name this arm. Default: `provider/model`. */
    id: z.string().regex(/^[\w.:/-]{1,100}$/, { error: 'expected an id of 1-100 letters, digits or . : / _ -' }).optional(),
    provider: z.string().transform((value, ctx) => {
      const id = providerAliases[value.trim().toLowerCase()];
      if (!id || id === 'offline') {
        ctx.addIssue({ code: 'custom', message: `"${value}" is not a provider; expected one of ${providerIds.join(', ')}` });
        return z.NEVER;
      }
      return id;
    }),
    model: z.string().regex(/^\S{1,200}$/, { error: 'expected a model name without spaces' }),
    /** `weighted` only: this arm's share, relative to the others'. */
    weight: z.number().min(0).max(1_000_000).optional(),
  })
  .strict();

const tierPolicySchema = z
  .object({
    strategy: z.enum(strategies, { error: `expected one of ${strategies.join(', ')}` }),
    deployments: z.array(deploymentSchema).min(1, { error: 'expected at least one deployment' }).max(32),
    /** `fastest` only: the share of requests sent to another deployment than the fastest. Default: 0.05. */
    exploration: z.number().min(0).max(1).optional(),
    /** `cheapest` only: output tokens expected when a request sets no max_tokens. Default: 500. */
    expectedOutputTokens: z.number().int().min(1).max(1_000_000).optional(),
  })
  .strict()
  .superRefine((policy, ctx) => {
    const ids = policy.deployments.map(deploymentId);
    ids.forEach((id, index) => {
      if (ids.indexOf(id) !== index) ctx.addIssue({ code: 'custom', path: ['deployments', index], message: `"${id}" is listed twice; give one of them an id of its own` });
    });
    if (policy.strategy === 'weighted') {
      policy.deployments.forEach((deployment, index) => {
        if (deployment.weight === undefined) ctx.addIssue({ code: 'custom', path: ['deployments', index, 'weight'], message: 'required by the weighted strategy' });
      });
      if (policy.deployments.every((deployment) => (deployment.weight ?? 0) === 0)) ctx.addIssue({ code: 'custom', path: ['deployments'], message: 'at least one weight must be above 0' });
    }
  });

export const routingPolicySchema = z
  .object({
    /** How answers, usage and /v1/providers name this policy. Default: the file's name. */
    name: z.string().regex(/^[\w.:-]{1,100}$/, { error: 'expected a name of 1-100 letters, digits or . : _ -' }).optional(),
    tiers: z.object({ instant: tierPolicySchema.optional(), thinking: tierPolicySchema.optional() }).strict(),
  })
  .strict();
export type RoutingPolicy = z.infer<typeof routingPolicySchema>;
export type TierPolicy = z.infer<typeof tierPolicySchema>;
export type PolicyDeployment = TierPolicy['deployments'][number];

export const deploymentId = (deployment: { id?: string; provider: string; model: string }) => deployment.id ?? `${deployment.provider}/${deployment.model}`;

/** A policy's deployment with what choosing needs to know of it. */
export interface Candidate {
  id: string;
  provider: ProviderId;
  model: string;
  weight: number;
  /** Tokens it takes in all; undefined: unknown, assumed to fit. */
  contextWindow: number | undefined;
  /** Undefined: unpriced, ranked after every priced one by `cheapest`. */
  price: Price | undefined;
  /** False while its circuit is open: `cheapest` and `fastest` then rank it after every other. Default: true. */
  available?: boolean;
}

export interface RoutingRequest {
  tier: Tier;
  /** Who asks: keeps a `weighted` split sticky. Undefined: no one in particular, a random arm. */
  caller: string | undefined;
  inputTokens: number;
  /** The request's max_tokens. Undefined: the policy's expectedOutputTokens. */
  maxOutputTokens: number | undefined;
}

/** Which branch of a policy chose a deployment; `failover` when the ones before it failed. */
export type Branch = 'priority' | 'cheapest' | 'fastest' | 'explore' | 'weighted' | 'failover';

/** What a routing policy decided for one call: recorded with the answer, in usage, metrics and the audit. */
export interface RoutingChoice {
  policy: string;
  /** The deployment's id (`provider/model` unless the policy names it). */
  deployment: string;
  /** What it calls, `provider/model`. */
  model: string;
  branch: Branch;
}

/** Which deployments serve a request, in the order to try them, and which branch of the policy chose the first. */
export interface Arrangement {
  order: Candidate[];
  branch: Exclude<Branch, 'failover'>;
}

/** Recent times to first token, per deployment id, as moving averages. */
export class LatencyBoard {
  readonly #averages = new Map<string, number>();
  readonly #alpha: number;

  /** `alpha`: the weight of the newest sample. Default: 0.3. */
  constructor(alpha = 0.3) {
    this.#alpha = alpha;
  }

  record(id: string, ms: number) {
    const previous = this.#averages.get(id);
    this.#averages.set(id, previous === undefined ? ms : previous + this.#alpha * (ms - previous));
  }

  averageOf(id: string): number | undefined {
    return this.#averages.get(id);
  }
}

/** A caller's point in [0, 1) for a tier: the same every time, independent between tiers. */
export function stickyPoint(tier: Tier, caller: string): number {
  return createHash('sha256').update(`${tier}\0${caller}`).digest().readUInt32BE(0) / 2 ** 32;
}

export function expectedCost(candidate: Candidate, inputTokens: number, outputTokens: number): number {
  if (!candidate.price) return Number.POSITIVE_INFINITY;
  return (candidate.price.input * inputTokens + candidate.price.output * outputTokens) / 1_000_000;
}

/** Orders a tier's candidates for one request, by its policy. */
export function arrange(policy: TierPolicy, candidates: readonly Candidate[], request: RoutingRequest, latency: LatencyBoard, random: () => number = Math.random): Arrangement {
  switch (policy.strategy) {
    case 'priority':
      return { order: [...candidates], branch: 'priority' };
    case 'cheapest': {
      const output = request.maxOutputTokens ?? policy.expectedOutputTokens ?? 500;
      const fits = candidates.filter((candidate) => candidate.contextWindow === undefined || candidate.contextWindow >= request.inputTokens + output);
      // Nothing fits: the smallest windows are left to refuse it with their own words (context_length_exceeded).
      const pool = fits.length > 0 ? fits : [...candidates];
      const cost = new Map(pool.map((candidate) => [candidate, expectedCost(candidate, request.inputTokens, output)]));
      const [up, down] = byCircuit(pool.sort((a, b) => cost.get(a)! - cost.get(b)!));
      return { order: [...up, ...down], branch: 'cheapest' };
    }
    case 'fastest': {
      const [up, down] = byCircuit(candidates);
      const unmeasured = up.filter((candidate) => latency.averageOf(candidate.id) === undefined);
      const measured = up.filter((candidate) => latency.averageOf(candidate.id) !== undefined).sort((a, b) => latency.averageOf(a.id)! - latency.averageOf(b.id)!);
      if (unmeasured.length > 0) return { order: [...unmeasured, ...measured, ...down], branch: 'explore' };
      if (measured.length > 1 && random() < (policy.exploration ?? 0.05)) {
        const [other] = measured.splice(1 + Math.floor(random() * (measured.length - 1)), 1);
        return { order: [other!, ...measured, ...down], branch: 'explore' };
      }
      return { order: [...measured, ...down], branch: 'fastest' };
    }
    case 'weighted': {
      const total = candidates.reduce((sum, candidate) => sum + candidate.weight, 0);
      let point = (request.caller === undefined ? random() : stickyPoint(request.tier, request.caller)) * total;
      const chosen = candidates.find((candidate) => candidate.weight > 0 && (point -= candidate.weight) < 0) ?? candidates.findLast((candidate) => candidate.weight > 0)!;
      const rest = candidates.filter((candidate) => candidate !== chosen).sort((a, b) => b.weight - a.weight);
      return { order: [chosen, ...rest], branch: 'weighted' };
    }
  }
}

/** In their order: those whose circuit lets calls through, and those whose circuit is open. */
function byCircuit(candidates: readonly Candidate[]): [Candidate[], Candidate[]] {
  return [candidates.filter((candidate) => candidate.available !== false), candidates.filter((candidate) => candidate.available === false)];
}
