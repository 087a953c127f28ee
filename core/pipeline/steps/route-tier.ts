import type { LanguageModel } from '../../models/language-model.ts';
import type { ModelRegistry, Tier } from '../../models/registry.ts';
import type { Step } from '../compose.ts';
import type { JobContext } from '../context.ts';

export interface Routed {
  tier: Tier;
  model: LanguageModel;
}

/** Picks the model: the one the request names, or the configured model of the tier its alias names. */
export function routeTier({ models }: { models: ModelRegistry }): Step<JobContext, Routed> {
  return {
    name: 'route-tier',
    async run(ctx, next) {
      const { model, tier } = models.resolve(ctx.job.request.model);
      ctx.model = model;
      ctx.tier = tier;
      await next();
    },
  };
}
