import { Counter } from 'prom-client';
import { metric } from './metric.ts';

/** What the pipeline counts, served at /metrics with every other metric of the process. */
export const coreMetrics = {
  tierDecisions: metric('gateway_tier_decisions_total', () => new Counter({
    name: 'gateway_tier_decisions_total',
    help: 'Jobs routed to each tier, by the reason: think-command, tier-alias, named-model, code, reasoning, long-input, tools, default.',
    labelNames: ['tier', 'reason'] as const,
  })),
};
