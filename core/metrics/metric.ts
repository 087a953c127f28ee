import { Counter, Gauge, Histogram, register, type CounterConfiguration, type GaugeConfiguration, type HistogramConfiguration } from 'prom-client';

/** Gets or makes a metric in the default registry, so tests that build several pipelines or adapters share one. */
function metric<T>(name: string, make: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? make();
}

export const counter = <L extends string>(config: CounterConfiguration<L>) => metric(config.name, () => new Counter(config));
export const gauge = <L extends string>(config: GaugeConfiguration<L>) => metric(config.name, () => new Gauge(config));
export const histogram = <L extends string>(config: HistogramConfiguration<L>) => metric(config.name, () => new Histogram(config));

/** Seconds from 1 ms to 2 minutes: gateway steps take milliseconds, model calls seconds. */
export const secondsBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
