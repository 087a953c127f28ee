import type { Usage } from '../contracts/message.ts';
import { counter, histogram, secondsBuckets } from './metric.ts';


const tokens = counter({
  name: 'gateway_tokens_total',
  help: 'Tokens of answered jobs by provider, model and kind: input, output, cached_input (of input), reasoning (of output).',
  labelNames: ['provider', 'model', 'kind'] as const,
});
const cost = counter({
  name: 'gateway_cost_usd_total',
  help: 'What answered jobs cost in US dollars, priced by the price table (PRICES), by provider and model.',
  labelNames: ['provider', 'model'] as const,
});

/** What the pipeline counts, served at /metrics with every other metric of the process. */
export const coreMetrics = {
  tierDecisions: counter({
    name: 'gateway_tier_decisions_total',
    help: 'Jobs routed to each tier, by the reason: think-command, tier-alias, named-model, code, reasoning, long-input, tools, default.',
    labelNames: ['tier', 'reason'] as const,
  }),
  stepSeconds: histogram({
    name: 'gateway_pipeline_step_duration_seconds',
    help: 'Time spent in each pipeline step itself, the steps after it excluded.',
    labelNames: ['step'] as const,
    buckets: secondsBuckets,
  }),
  overheadSeconds: histogram({
    name: 'gateway_overhead_seconds',
    help: "The gateway's own share of a job: from the adapter receiving it to the reply, minus the time spent waiting on providers.",
    buckets: secondsBuckets,
    enableExemplars: true,
  }),
  jobs: counter({
    name: 'gateway_jobs_total',
    help: 'Jobs that ended, by platform and outcome: ok, refused, error, cancelled.',
    labelNames: ['platform', 'outcome'] as const,
  }),
  rateLimited: counter({
    name: 'gateway_rate_limited_total',
    help: "Jobs refused by a limit: whose (user, key) and which (requests or tokens per minute, budget).",
    labelNames: ['scope', 'kind'] as const,
  }),
  /** Counts an answered job's tokens and cost. */
  countUsage({ provider, model }: { provider: string; model: string }, usage: Usage, costUsd: number) {
    tokens.inc({ provider, model, kind: 'input' }, usage.inputTokens);
    tokens.inc({ provider, model, kind: 'output' }, usage.outputTokens);
    if (usage.cachedInputTokens) tokens.inc({ provider, model, kind: 'cached_input' }, usage.cachedInputTokens);
    if (usage.reasoningTokens) tokens.inc({ provider, model, kind: 'reasoning' }, usage.reasoningTokens);
    if (costUsd > 0) cost.inc({ provider, model }, costUsd);
  },
};
