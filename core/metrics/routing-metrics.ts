import { counter, histogram, secondsBuckets } from './metric.ts';

/** The arms of a routing policy side by side: how often each is chosen, by which branch, how it fares. */
export const routingMetrics = {
  calls: counter({
    name: 'gateway_routing_calls_total',
    help: 'Calls a routing policy sent to a deployment, by tier, deployment id, the branch that chose it (priority, cheapest, fastest, explore, weighted, failover) and outcome (ok: it started answering; error).',
    labelNames: ['tier', 'deployment', 'branch', 'outcome'] as const,
  }),
  firstTokenSeconds: histogram({
    name: 'gateway_routing_time_to_first_token_seconds',
    help: 'From sending a call to a routing policy deployment to its first streamed event: what the fastest strategy ranks by.',
    labelNames: ['tier', 'deployment'] as const,
    buckets: secondsBuckets,
  }),
};
