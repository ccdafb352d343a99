import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logging/index.js';
import type { Store } from '../../core/store/index.js';
import { redisKeys as K } from '../../core/wire/keys.js';
import type { CrawlWatch } from './crawl-watch.js';
import { asRecord, type CrawlerMetrics, type Tally } from './metrics.js';

export interface ProgressOptions {
  store: Store;
  logger: Logger;
  metrics: CrawlerMetrics;
  watch: CrawlWatch;
  spiderid: string;
  /** Seconds between lines (LOGSTATS_INTERVAL; 0 turns them off). */
  intervalSeconds: number;
  queueKeys: () => string[];
  leasesHeld: () => number;
}

/** `timeout: 2, dns: 1`, or `none`. */
function reasons(map: Map<string, number>): string {
  return map.size === 0 ? 'none' : [...map].map(([reason, n]) => `${reason}: ${n}`).join(', ');
}

/**
 * Scrapy's LogStats for the cluster crawler: every LOGSTATS_INTERVAL seconds one INFO line with the pages,
 * the rate, items, failures by reason, retries, the backlog of the queues this crawler knows and the leases
 * it holds, then one line per crawl that had pages here in the interval with its cluster-wide counts. The
 * backlog costs one pipelined ZCARD per known queue per interval; nothing else reads Redis.
 */
export class ProgressLog {
  private timer: NodeJS.Timeout | undefined;
  private last = Date.now();
  private readonly started = Date.now();

  constructor(private readonly options: ProgressOptions) {}

  start(): void {
    if (this.options.intervalSeconds <= 0) return;
    this.last = Date.now();
    this.timer = setInterval(() => {
      this.logLine().catch((err: unknown) =>
        this.options.logger.debug('Progress line failed', { error: errorMessage(err) }),
      );
    }, this.options.intervalSeconds * 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  async logLine(): Promise<void> {
    const { logger, metrics, watch, store, spiderid } = this.options;
    const now = Date.now();
    const minutes = Math.max((now - this.last) / 60_000, 1e-6);
    this.last = now;
    const tally = metrics.takeInterval();
    const crawls = watch.takeActive();
    const keys = this.options.queueKeys();
    const pipe = store.pipeline();
    for (const key of keys) pipe.call('ZCARD', key);
    for (const c of crawls) pipe.call('HGETALL', K.crawlStats(spiderid, c.appid, c.crawlid));
    const replies = keys.length + crawls.length > 0 ? await pipe.exec() : [];
    let backlog = 0;
    let queues = 0;
    for (let i = 0; i < keys.length; i++) {
      const n = Number(replies[i]);
      if (Number.isFinite(n) && n > 0) {
        backlog += n;
        queues++;
      }
    }
    const held = this.options.leasesHeld();
    const rate = Math.round(tally.pages / minutes);
    logger.info(
      `Crawled ${tally.pages} pages (at ${rate} pages/min), published ${tally.items} items; failures: ${reasons(tally.failures)}; fetch failures: ${reasons(tally.fetchFailures)}; retries ${tally.retries}; backlog ${backlog} requests in ${queues} queues; leases held ${held}`,
      {
        pages: tally.pages,
        pages_per_min: rate,
        items: tally.items,
        failures: asRecord(tally.failures),
        fetch_failures: asRecord(tally.fetchFailures),
        retries: tally.retries,
        queued: tally.queued,
        dropped: tally.dropped,
        backlog,
        queues,
        leases_held: held,
      },
    );
    crawls.forEach((crawl, i) => {
      const reply = replies[keys.length + i];
      const stats = hashOf(reply);
      const published = Number(stats.published ?? 0);
      const failed = Number(stats.failed ?? 0);
      logger.info(
        `Crawl ${crawl.appid}/${crawl.crawlid}: ${crawl.pages} pages here this interval; ${published} published, ${failed} failed in all`,
        { appid: crawl.appid, crawlid: crawl.crawlid, pages: crawl.pages, published, failed },
      );
    });
  }

  /** The final summary since start, logged on shutdown. */
  logSummary(): void {
    const { total } = this.options.metrics;
    summaryLine(this.options.logger, total, (Date.now() - this.started) / 1000);
  }
}

function hashOf(reply: unknown): Record<string, string> {
  if (Array.isArray(reply)) {
    const out: Record<string, string> = {};
    for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = String(reply[i + 1]);
    return out;
  }
  if (reply && typeof reply === 'object' && !(reply instanceof Error)) return reply as Record<string, string>;
  return {};
}

function summaryLine(logger: Logger, total: Tally, seconds: number): void {
  logger.info(
    `Crawler stats: ${total.pages} pages in ${Math.round(seconds)} s, ${total.items} items published; failures: ${reasons(total.failures)}; fetch failures: ${reasons(total.fetchFailures)}; retries ${total.retries}; queued ${total.queued}, dropped ${total.dropped}`,
    {
      pages: total.pages,
      items: total.items,
      failures: asRecord(total.failures),
      fetch_failures: asRecord(total.fetchFailures),
      retries: total.retries,
      queued: total.queued,
      dropped: total.dropped,
      uptime_sec: Math.round(seconds),
    },
  );
}
