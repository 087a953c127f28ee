import { Counter, Histogram } from 'prom-client';
import type { Usage } from '../contracts/message.ts';
import { metric } from './metric.ts';

/** Seconds from 1 ms to 2 minutes: gateway steps are milliseconds, model calls seconds. */
const secondsBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

const tokens = metric('gateway_tokens_total', () => new Counter({
  name: 'gateway_tokens_total',
  help: 'Tokens of answered jobs by provider, model and kind: input, output, cached_input (of input), reasoning (of output).',
  labelNames: ['provider', 'model', 'kind'] as const,
}));
const cost = metric('gateway_cost_usd_total', () => new Counter({
  name: 'gateway_cost_usd_total',
  help: 'What answered jobs cost in US dollars, priced by the price table (PRICES), by provider and model.',
  labelNames: ['provider', 'model'] as const,
}));

/** What the pipeline counts, served at /metrics with every other metric of the process. */
export const coreMetrics = {
  tierDecisions: metric('gateway_tier_decisions_total', () => new Counter({
    name: 'gateway_tier_decisions_total',
    help: 'Jobs routed to each tier, by the reason: think-command, tier-alias, named-model, code, reasoning, long-input, tools, default.',
    labelNames: ['tier', 'reason'] as const,
  })),
  stepSeconds: metric('gateway_pipeline_step_duration_seconds', () => new Histogram({
    name: 'gateway_pipeline_step_duration_seconds',
    help: 'Time spent in each pipeline step itself, the steps after it excluded.',
    labelNames: ['step'] as const,
    buckets: secondsBuckets,
  })),
  overheadSeconds: metric('gateway_overhead_seconds', () => new Histogram({
    name: 'gateway_overhead_seconds',
    help: "The gateway's own share of a job: from the adapter receiving it to the reply, minus the time spent waiting on providers.",
    buckets: secondsBuckets,
  })),
  jobs: metric('gateway_jobs_total', () => new Counter({
    name: 'gateway_jobs_total',
    help: 'Jobs that ended, by platform and outcome: ok, refused, error, cancelled.',
    labelNames: ['platform', 'outcome'] as const,
  })),
  rateLimited: metric('gateway_rate_limited_total', () => new Counter({
    name: 'gateway_rate_limited_total',
    help: "Jobs refused by a limit: whose (user, key) and which (requests or tokens per minute, budget).",
    labelNames: ['scope', 'kind'] as const,
  })),
  /** Counts an answered job's tokens and cost. */
  countUsage({ provider, model }: { provider: string; model: string }, usage: Usage, costUsd: number) {
    tokens.inc({ provider, model, kind: 'input' }, usage.inputTokens);
    tokens.inc({ provider, model, kind: 'output' }, usage.outputTokens);
    if (usage.cachedInputTokens) tokens.inc({ provider, model, kind: 'cached_input' }, usage.cachedInputTokens);
    if (usage.reasoningTokens) tokens.inc({ provider, model, kind: 'reasoning' }, usage.reasoningTokens);
    if (costUsd > 0) cost.inc({ provider, model }, costUsd);
  },
};

export { secondsBuckets };
