import { register } from 'prom-client';

/** Gets or makes a metric in the default registry, so tests that build several pipelines or adapters share one. */
export function metric<T>(name: string, make: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? make();
}
