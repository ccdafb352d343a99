import { counter, histogram, LabelledCounter } from '../core/metrics/index.js';

/** Why a request was not handed to a plugin (bounded: these four). */
export type InvalidReason = 'too-large' | 'unparseable' | 'no-schema' | 'rejected' | 'skipped';

/** The Kafka Monitor's Prometheus series and the totals for its shutdown summary. */
export class KafkaMonitorMetrics {
  private readonly requests = new LabelledCounter(
    counter<'plugin'>({
      name: 'kafka_monitor_requests_total',
      help: 'Valid requests handed to a plugin, by plugin.',
      labelNames: ['plugin'],
    }),
  );
  private readonly invalid = new LabelledCounter(
    counter<'reason'>({
      name: 'kafka_monitor_invalid_requests_total',
      help: 'Requests refused, by reason (too-large, unparseable, no-schema, rejected by a plugin).',
      labelNames: ['reason'],
    }),
  );
  private readonly batchWrite = histogram({
    name: 'kafka_monitor_batch_write_duration_seconds',
    help: "Time to write one batch's Redis changes (one round trip per batch).",
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
  });
  private readonly writeFailures = counter({
    name: 'kafka_monitor_batch_write_failures_total',
    help: 'Batch writes to Redis that failed (the batch is retried; nothing is committed meanwhile).',
  });
  readonly totals = { requests: 0, invalid: 0, batches: 0, writeFailures: 0 };

  handled(plugin: string): void {
    this.requests.inc(plugin);
    this.totals.requests++;
  }

  refused(reason: InvalidReason): void {
    this.invalid.inc(reason);
    this.totals.invalid++;
  }

  wrote(seconds: number): void {
    this.batchWrite.observe(seconds);
    this.totals.batches++;
  }

  writeFailed(): void {
    this.writeFailures.inc();
    this.totals.writeFailures++;
  }
}
