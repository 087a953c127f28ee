import { register, Registry, type LabelValues, type RegistryContentType } from 'prom-client';

export interface Exposition {
  contentType: string;
  body: string;
}

/** An exemplar's labels: the request id, cut to OpenMetrics' 128-character bound on an exemplar's labels. */
export const exemplarOf = (requestId: string): LabelValues<string> => ({ request_id: requestId.slice(0, 128 - 'request_id'.length) });

let rendering: Promise<unknown> = Promise.resolve();

/**
 * Every metric of this process, in Prometheus's text format (0.0.4), or in OpenMetrics with exemplars (the
 * request id of a recent observation in each histogram bucket) for a scraper that asks for it, as
 * Prometheus does. One render at a time, each with the registry's format set for it: prom-client's
 * OpenMetrics render also renames counters in place (`x_total` to `x`), so their names are put back
 * before the next render begins.
 */
export function exposition({ openMetrics }: { openMetrics: boolean }): Promise<Exposition> {
  const run = rendering.then(() => render(openMetrics));
  rendering = run.catch(() => {});
  return run;
}

async function render(openMetrics: boolean): Promise<Exposition> {
  // prom-client types the default registry for the format it starts in; metric.ts made it OpenMetrics.
  const registry = register as unknown as Registry<RegistryContentType>;
  const named = registry.getMetricsAsArray().map((metric) => [metric as { name: string }, metric.name] as const);
  registry.setContentType(openMetrics ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE);
  try {
    return { contentType: registry.contentType, body: await registry.metrics() };
  } finally {
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    for (const [metric, name] of named) metric.name = name;
  }
}
