import { counter, gauge } from '../../core/metrics/metric.ts';

/** What chat adapters count, served at /metrics with every other metric of the process. */
export const chatMetrics = {
  replies: counter({
    name: 'gateway_chat_messages_total',
    help: 'Reply messages by outcome: sent, stale (too old after an outage), refused (by the platform), uncertain (a send cut off mid-way, not repeated).',
    labelNames: ['platform', 'outcome'] as const,
  }),
  plainResends: counter({
    name: 'gateway_chat_plain_resends_total',
    help: 'Messages the platform rejected for their formatting, re-sent as plain text.',
    labelNames: ['platform'] as const,
  }),
  platformRateLimited: counter({
    name: 'gateway_chat_platform_rate_limited_total',
    help: "Calls the platform answered with its rate limit (429), waited out.",
    labelNames: ['platform'] as const,
  }),
  events: counter({
    name: 'gateway_chat_events_total',
    help: 'Platform events by outcome: job (queued), unsupported (answered with what the bot can read), ignore, unknown-command, failed.',
    labelNames: ['platform', 'outcome'] as const,
  }),
  up: gauge({
    name: 'gateway_adapter_up',
    help: '1 while the adapter receives events (its connection or polling loop is alive), else 0.',
    labelNames: ['adapter'] as const,
  }),
  restarts: counter({
    name: 'gateway_adapter_restarts_total',
    help: 'Times the watchdog restarted a stalled adapter connection or polling loop.',
    labelNames: ['adapter'] as const,
  }),
};
