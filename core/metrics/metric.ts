import { Counter, Gauge, Histogram, register, Registry, type CounterConfiguration, type GaugeConfiguration, type HistogramConfiguration, type RegistryContentType } from 'prom-client';

// Exemplars (the request id of a recent observation) exist only in OpenMetrics, and prom-client lets a
// metric carry them only in a registry made for it. So the registry is OpenMetrics, set before any
// metric is made, and exposition.ts renders Prometheus's text format from it for scrapers that want that.
(register as unknown as Registry<RegistryContentType>).setContentType(Registry.OPENMETRICS_CONTENT_TYPE);

/** Gets or makes a metric in the default registry, so tests that build several pipelines or adapters share one. */
function metric<T>(name: string, make: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? make();
}

export const counter = <L extends string>(config: CounterConfiguration<L>) => metric(config.name, () => new Counter(config));
export const gauge = <L extends string>(config: GaugeConfiguration<L>) => metric(config.name, () => new Gauge(config));
export const histogram = <L extends string>(config: HistogramConfiguration<L>) => metric(config.name, () => new Histogram(config));

/** Seconds from 1 ms to 2 minutes: gateway steps take milliseconds, model calls seconds. */
export const secondsBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
