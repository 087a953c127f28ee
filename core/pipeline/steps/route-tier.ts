import type { LanguageModel } from '../../models/language-model.ts';
import type { ModelRegistry, Tier } from '../../models/registry.ts';
import type { Step } from '../compose.ts';
import type { JobContext } from '../context.ts';
import type { Recalled } from './recall-conversation.ts';

export interface Routed {
  tier: Tier;
  model: LanguageModel;
}

/**
 * Picks the model: the one the request names, else the thinking tier after `/think`, else the model the
 * conversation chose with `/model`, else the default; a name is a model or a tier alias.
 */
export function routeTier({ models }: { models: ModelRegistry }): Step<JobContext & Partial<Recalled>, Routed> {
  return {
    name: 'route-tier',
    async run(ctx, next) {
      const { settings } = ctx;
      const { model, tier } = models.resolve(ctx.job.request.model ?? (settings?.thinkNext ? 'thinking' : settings?.model));
      ctx.model = model;
      ctx.tier = tier;
      await next();
    },
  };
}
