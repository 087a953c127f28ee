import type { LanguageModel } from '../../models/language-model.ts';
import type { ModelRegistry, Tier } from '../../models/registry.ts';
import { decideTier, defaultTierHeuristic, type RouteDecision, type TierHeuristic } from '../../models/tier-router.ts';
import { coreMetrics } from '../../metrics/core-metrics.ts';
import type { GatewayDefaults } from '../../settings/gateway-defaults.ts';
import type { Step } from '../compose.ts';
import type { JobContext } from '../context.ts';
import type { Recalled } from './recall-conversation.ts';

export interface Routed {
  tier: Tier;
  /** Why this tier: recorded in the audit log, the reply and metrics. */
  route: RouteDecision;
  model: LanguageModel;
  /** The model's context window in tokens, when known: the prompt is fitted to it. */
  contextWindow: number | undefined;
}

export interface RouteTierOptions {
  models: ModelRegistry;
  /** Default: `auto` with the built-in cues (TIER_ROUTING, TIER_LONG_INPUT_CHARS, TIER_REASONING_CUES). */
  heuristic?: TierHeuristic;
  /** The gateway-wide model and tier admins set. Default: none. */
  defaults?: Pick<GatewayDefaults, 'get'>;
}

/**
 * Picks the model. A named model (the request's, the chat's `/model`, or the gateway's) is called as
 * named; otherwise the router picks a tier, from `/think`, `/tier` or the heuristic, and the tier's chain
 * answers.
 */
export function routeTier({ models, heuristic = defaultTierHeuristic, defaults }: RouteTierOptions): Step<JobContext & Partial<Recalled>, Routed> {
  return {
    name: 'route-tier',
    async run(ctx, next) {
      const { job, settings } = ctx;
      const last = job.input.messages.findLast((message) => message.role === 'user');
      const choice = job.request.toolChoice;
      const global = (await defaults?.get()) ?? {};
      ctx.route = decideTier(
        {
          requested: job.request.model,
          chatModel: settings?.model,
          chatTier: settings?.tier,
          globalModel: global.model,
          globalTier: global.tier,
          thinkNext: settings?.thinkNext ?? false,
          text: last?.content ?? '',
          toolRequired: choice !== undefined && choice !== 'auto' && choice !== 'none',
          tierOf: (name) => models.resolve(name).tier,
        },
        heuristic,
      );
      const resolved = models.resolve(ctx.route.model ?? ctx.route.tier);
      ctx.model = resolved.model;
      ctx.contextWindow = resolved.contextWindow;
      ctx.tier = ctx.route.tier;
      coreMetrics.tierDecisions.inc({ tier: ctx.route.tier, reason: ctx.route.reason });
      await next();
    },
  };
}
