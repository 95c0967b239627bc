import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/**
 * One registry per process (or per test), passed by injection so that two replicators in one
 * test process do not share counters.
 */
export interface Metrics {
  readonly registry: Registry;
  counter(name: string, help: string, labelNames?: readonly string[]): Counter;
  gauge(name: string, help: string, labelNames?: readonly string[]): Gauge;
  histogram(
    name: string,
    help: string,
    labelNames?: readonly string[],
    buckets?: readonly number[],
  ): Histogram;
  render(): Promise<string>;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics === true) collectDefaultMetrics({ register: registry });
  // Components are built more than once in tests; reuse a metric already registered by name.
  const existing = (name: string): unknown => registry.getSingleMetric(name);
  return {
    registry,
    counter: (name, help, labelNames = []) =>
      (existing(name) as Counter | undefined) ??
      new Counter({ name, help, labelNames: [...labelNames], registers: [registry] }),
    gauge: (name, help, labelNames = []) =>
      (existing(name) as Gauge | undefined) ??
      new Gauge({ name, help, labelNames: [...labelNames], registers: [registry] }),
    histogram: (name, help, labelNames = [], buckets) =>
      (existing(name) as Histogram | undefined) ??
      new Histogram({
        name,
        help,
        labelNames: [...labelNames],
        registers: [registry],
        ...(buckets === undefined ? {} : { buckets: [...buckets] }),
      }),
    render: () => registry.metrics(),
  };
}
