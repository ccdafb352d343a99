import { counter } from '../core/metrics/index.js';

/** The Redis Monitor's Prometheus series and the totals for its shutdown summary. */
export class RedisMonitorMetrics {
  private readonly metric = counter<'plugin' | 'outcome'>({
    name: 'redis_monitor_jobs_total',
    help: 'Job keys handled, by plugin and outcome (done, locked, gone, waiting, retry, dropped, error).',
    labelNames: ['plugin', 'outcome'],
  });
  private readonly children = new Map<string, { inc(): void }>();
  private readonly passFailures = counter({
    name: 'redis_monitor_pass_failures_total',
    help: 'Passes abandoned because Redis or Kafka failed (the loop backs off and retries).',
  });
  readonly totals = new Map<string, number>();

  job(plugin: string, outcome: string): void {
    const key = `${plugin} ${outcome}`;
    let child = this.children.get(key);
    if (!child) this.children.set(key, (child = this.metric.labels(plugin, outcome)));
    child.inc();
    this.totals.set(key, (this.totals.get(key) ?? 0) + 1);
  }

  passFailed(): void {
    this.passFailures.inc();
  }
}
