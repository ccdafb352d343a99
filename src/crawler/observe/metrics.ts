import { counter, histogram, LabelledCounter, SampledGauge } from '../../core/metrics/index.js';
import type { EnqueueStatus } from '../frontier/frontier.js';

/** Fetch duration buckets, seconds: from a local test site (ms) to the download timeout (10 s default). */
const FETCH_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Prometheus series of the crawler (created once per process, shared by crawler instances). */
function crawlerSeries() {
  return {
    pages: counter<'status'>({
      name: 'crawler_pages_fetched_total',
      help: 'Responses received, by HTTP status code (redirects and retried responses included).',
      labelNames: ['status'],
    }),
    fetchFailures: counter<'reason'>({
      name: 'crawler_fetch_failures_total',
      help: 'Fetches that got no usable response, by reason (timeout, connect, dns, network, robots, ...).',
      labelNames: ['reason'],
    }),
    fetchDuration: histogram({
      name: 'crawler_fetch_duration_seconds',
      help: 'Time from sending a request to having its whole response body, successful fetches.',
      buckets: FETCH_BUCKETS,
    }),
    bytes: counter({
      name: 'crawler_downloaded_bytes_total',
      help: 'Response body bytes downloaded (after decompression).',
    }),
    items: counter({
      name: 'crawler_items_published_total',
      help: 'Pages published to the crawled firehose and acknowledged by Kafka.',
    }),
    failedItems: counter<'reason'>({
      name: 'crawler_failures_published_total',
      help: 'Failure records published (requests that failed for good), by reason.',
      labelNames: ['reason'],
    }),
    itemsDropped: counter<'pipeline'>({
      name: 'crawler_items_dropped_total',
      help: 'Items an item pipeline dropped (DropItem), by pipeline (ITEM_PIPELINES key).',
      labelNames: ['pipeline'],
    }),
    domainHolds: counter({
      name: 'crawler_domain_holds_total',
      help: 'Domains held for every crawler after a 429 or 503 with Retry-After.',
    }),
    crawlDelayWaits: counter({
      name: 'crawler_crawl_delay_waits_total',
      help: 'Fetches that waited for their slot under a robots.txt Crawl-delay.',
    }),
    publishFailures: counter({
      name: 'crawler_publish_failures_total',
      help: 'Pages Kafka did not acknowledge (the request goes back to its queue when its lease expires).',
    }),
    queued: counter({
      name: 'crawler_requests_queued_total',
      help: 'Follow-up requests (links, redirects, retries) added to domain queues.',
    }),
    dropped: counter<'reason'>({
      name: 'crawler_requests_dropped_total',
      help: 'Requests not queued or dropped from queues, by reason (duplicate, blacklisted, expired, limit, stopped).',
      labelNames: ['reason'],
    }),
    retries: counter({
      name: 'crawler_retries_total',
      help: 'Requests queued again after a retryable failure or status (RETRY_TIMES).',
    }),
    reaped: counter({
      name: 'crawler_leases_reaped_total',
      help: 'Expired leases (of crawlers that died or stalled) returned to their queues by this crawler.',
    }),
    throttled: counter({
      name: 'crawler_throttle_refusals_total',
      help: 'Lease attempts refused by the cluster-wide domain throttle.',
    }),
    finished: counter({
      name: 'crawler_crawls_finished_total',
      help: 'Crawls this crawler announced as finished (nothing queued, nothing leased).',
    }),
    leasesHeld: new SampledGauge('crawler_leases_held', 'Leases this process holds now (requests in work).'),
    queuesKnown: new SampledGauge('crawler_queues_known', 'Domain queues this process knows of now.'),
  };
}

const DROP_REASON: Record<EnqueueStatus, string | null> = {
  queued: null,
  duplicate: 'duplicate',
  blacklisted: 'blacklisted',
  expired: 'expired',
  'domain-limit': 'limit',
  'global-limit': 'limit',
};

/** A running tally for the progress line, reset at each line. */
export interface Tally {
  pages: number;
  items: number;
  failures: Map<string, number>;
  fetchFailures: Map<string, number>;
  retries: number;
  queued: number;
  dropped: number;
}

const emptyTally = (): Tally => ({
  pages: 0,
  items: 0,
  failures: new Map(),
  fetchFailures: new Map(),
  retries: 0,
  queued: 0,
  dropped: 0,
});

/**
 * The crawler's counters: the Prometheus series (shared by the process) and two plain tallies, one for the
 * current progress interval and one since start (the shutdown summary). Every method is a few increments:
 * nothing here touches Redis or allocates per page beyond a Map lookup.
 */
export class CrawlerMetrics {
  private readonly series = crawlerSeries();
  private readonly pagesBy = new LabelledCounter(this.series.pages);
  private readonly fetchFailuresBy = new LabelledCounter(this.series.fetchFailures);
  private readonly failedBy = new LabelledCounter(this.series.failedItems);
  private readonly droppedBy = new LabelledCounter(this.series.dropped);
  private readonly itemsDroppedBy = new LabelledCounter(this.series.itemsDropped);
  private readonly removers: (() => void)[] = [];
  interval: Tally = emptyTally();
  readonly total: Tally = emptyTally();

  /** Samples the gauges from this crawler while it runs. */
  watch(sources: { leasesHeld: () => number; queuesKnown: () => number }): void {
    this.removers.push(this.series.leasesHeld.add(sources.leasesHeld));
    this.removers.push(this.series.queuesKnown.add(sources.queuesKnown));
  }

  unwatch(): void {
    for (const remove of this.removers.splice(0)) remove();
  }

  /** Takes the tally of the interval that just ended and starts a new one. */
  takeInterval(): Tally {
    const done = this.interval;
    this.interval = emptyTally();
    return done;
  }

  fetched(status: number, bytes: number, seconds: number): void {
    this.pagesBy.inc(status);
    this.series.bytes.inc(bytes);
    this.series.fetchDuration.observe(seconds);
    this.interval.pages++;
    this.total.pages++;
  }

  fetchFailed(reason: string): void {
    this.fetchFailuresBy.inc(reason);
    bump(this.interval.fetchFailures, reason);
    bump(this.total.fetchFailures, reason);
  }

  published(failureReason: string | undefined): void {
    if (failureReason === undefined) {
      this.series.items.inc();
      this.interval.items++;
      this.total.items++;
    } else {
      this.failedBy.inc(failureReason);
      bump(this.interval.failures, failureReason);
      bump(this.total.failures, failureReason);
    }
  }

  /** An item an ITEM_PIPELINES stage dropped: neither a page on the topic nor a failure. */
  itemDropped(pipeline: string): void {
    this.itemsDroppedBy.inc(pipeline);
  }

  domainHeld(): void {
    this.series.domainHolds.inc();
  }

  crawlDelayed(): void {
    this.series.crawlDelayWaits.inc();
  }

  publishFailed(): void {
    this.series.publishFailures.inc();
  }

  retried(): void {
    this.series.retries.inc();
    this.interval.retries++;
    this.total.retries++;
  }

  enqueued(statuses: readonly EnqueueStatus[]): void {
    for (const status of statuses) {
      const reason = DROP_REASON[status];
      if (reason === null) {
        this.series.queued.inc();
        this.interval.queued++;
        this.total.queued++;
      } else {
        this.droppedBy.inc(reason);
        this.interval.dropped++;
        this.total.dropped++;
      }
    }
  }

  droppedFromQueues(count: number): void {
    this.droppedBy.inc('stopped', count);
    this.interval.dropped += count;
    this.total.dropped += count;
  }

  throttled(count: number): void {
    this.series.throttled.inc(count);
  }

  reaped(count: number): void {
    if (count > 0) this.series.reaped.inc(count);
  }

  crawlFinished(): void {
    this.series.finished.inc();
  }
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** `{timeout: 2, dns: 1}` of a tally map, for log extras. */
export function asRecord(map: Map<string, number>): Record<string, number> {
  return Object.fromEntries(map);
}
