import { counter, histogram, secondsBuckets } from './metric.ts';

/** What calls to providers count, by provider and model (as configured; never a user's free text). */
export const providerMetrics = {
  seconds: histogram({
    name: 'gateway_provider_request_duration_seconds',
    help: 'One call to a provider, from sending it to the last byte of the answer, by outcome (ok, error).',
    labelNames: ['provider', 'model', 'outcome'] as const,
    buckets: secondsBuckets,
  }),
  firstTokenSeconds: histogram({
    name: 'gateway_provider_time_to_first_token_seconds',
    help: 'A streamed call to a provider, from sending it to the first text or tool-call part.',
    labelNames: ['provider', 'model'] as const,
    buckets: secondsBuckets,
  }),
  errors: counter({
    name: 'gateway_provider_errors_total',
    help: 'Failed calls to a provider, by the gateway error code (upstream_error, upstream_timeout, rate_limited...).',
    labelNames: ['provider', 'model', 'code'] as const,
  }),
  retries: counter({
    name: 'gateway_provider_retries_total',
    help: 'Calls retried after a retryable failure, by the provider and model first asked.',
    labelNames: ['provider', 'model'] as const,
  }),
  failovers: counter({
    name: 'gateway_provider_failovers_total',
    help: 'Calls passed on to the next provider of a failover chain, by the provider that failed.',
    labelNames: ['provider', 'model'] as const,
  }),
  keyEvents: counter({
    name: 'gateway_provider_key_events_total',
    help: 'A provider key set aside: cooled-down after a 429, removed from rotation after a 401. The key is named by its fingerprint.',
    labelNames: ['provider', 'key', 'event'] as const,
  }),
};
