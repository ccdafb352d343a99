import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The process's one Prometheus registry. Every component of a process (all four in standalone) adds its
 * metrics here, so one `/metrics` answer shows them all; prom-client's default process metrics (CPU,
 * memory, event loop lag, GC) are collected once, under their usual unprefixed names.
 */
let shared: Registry | undefined;

export function metricsRegistry(): Registry {
  if (!shared) {
    shared = new Registry();
    collectDefaultMetrics({ register: shared });
  }
  return shared;
}

/** Every metric of the project starts with this (Prometheus naming: one namespace per application). */
export const METRIC_PREFIX = 'scrapy_cluster_';

type Labels<L extends string> = { name: string; help: string; labelNames?: readonly L[] };

/**
 * A counter of the shared registry, created on first use: several instances of a component in one
 * process (tests, embedding) count into the same series rather than failing on a duplicate name.
 */
export function counter<L extends string = never>(spec: Labels<L>): Counter<L> {
  const name = METRIC_PREFIX + spec.name;
  const existing = metricsRegistry().getSingleMetric(name);
  if (existing) return existing as Counter<L>;
  return new Counter<L>({
    name,
    help: spec.help,
    labelNames: spec.labelNames ?? [],
    registers: [metricsRegistry()],
  });
}

export function histogram<L extends string = never>(spec: Labels<L> & { buckets: number[] }): Histogram<L> {
  const name = METRIC_PREFIX + spec.name;
  const existing = metricsRegistry().getSingleMetric(name);
  if (existing) return existing as Histogram<L>;
  return new Histogram<L>({
    name,
    help: spec.help,
    labelNames: spec.labelNames ?? [],
    buckets: spec.buckets,
    registers: [metricsRegistry()],
  });
}

/**
 * A gauge read when scraped: the sum of the values its sources report now (one source per component
 * instance, added and removed as instances start and stop), so nothing is updated on the hot path.
 */
export class SampledGauge {
  private readonly sources = new Set<() => number>();

  constructor(name: string, help: string) {
    const full = METRIC_PREFIX + name;
    const existing = metricsRegistry().getSingleMetric(full) as
      (Gauge & { sampled?: SampledGauge }) | undefined;
    if (existing?.sampled) return existing.sampled;
    const sources = this.sources;
    const gauge = new Gauge({
      name: full,
      help,
      registers: [metricsRegistry()],
      collect() {
        let total = 0;
        for (const source of sources) total += source();
        this.set(total);
      },
    }) as Gauge & { sampled?: SampledGauge };
    gauge.sampled = this;
  }

  /** Adds a source; returns the function that removes it. */
  add(source: () => number): () => void {
    this.sources.add(source);
    return () => void this.sources.delete(source);
  }
}

/** The label children of a counter, cached per value so the hot path does no label hashing. */
export class LabelledCounter {
  private readonly children = new Map<string, { inc(n?: number): void }>();

  /** `metric`: a one-label counter, or any function from the label value to its child. */
  constructor(private readonly metric: { labels(value: string): { inc(n?: number): void } }) {}

  inc(label: string | number, n = 1): void {
    const key = String(label);
    let child = this.children.get(key);
    if (!child) {
      child = this.metric.labels(key);
      this.children.set(key, child);
    }
    child.inc(n);
  }
}
