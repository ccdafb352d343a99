import { LRUCache } from 'lru-cache';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logging/index.js';
import type { Frontier } from '../frontier/frontier.js';
import type { CrawlerMetrics } from '../observe/metrics.js';

const SLOT_MARGIN_SECONDS = 0.05;

/**
 * Politeness that reacts to the site, for the whole cluster: a 429/503 with Retry-After holds the domain
 * for every crawler (a hold in Redis that the lease script honours), and a robots.txt Crawl-delay spaces
 * the fetches of every crawler (a slot reserved in Redis before each fetch) and lowers this crawler's lease
 * rate for the domain to one request per delay.
 */
export class Politeness {
  /** Crawl-delays learnt from robots.txt, by queue domain (seconds, capped). */
  private readonly delays = new LRUCache<string, number>({ max: 50_000, ttl: 3_600_000 });

  constructor(
    private readonly options: {
      frontier: () => Frontier;
      logger: Logger;
      metrics: CrawlerMetrics;
      /** The queue domain of a URL (DOMAIN_KEYS style). */
      domainOf: (url: URL) => string | null;
      /** RETRY_AFTER_MAX: the longest hold, seconds. */
      retryAfterMax: number;
      /** CRAWL_DELAY_MAX: the longest Crawl-delay honoured, seconds. */
      crawlDelayMax: number;
    },
  ) {}

  /** The Crawl-delay this crawler learnt for a domain, if any. */
  delayOf(domain: string): number | undefined {
    return this.delays.get(domain);
  }

  /**
   * Before a page of a site whose robots.txt sets a Crawl-delay: reserves its fetch slot for the cluster
   * and resolves with the milliseconds to wait. With Redis unreachable, waits the whole delay (polite
   * rather than fast).
   */
  async crawlDelay(url: URL, asked: number): Promise<number> {
    const domain = this.options.domainOf(url);
    if (!domain) return 0;
    const delay = Math.min(asked, this.options.crawlDelayMax);
    if (this.delays.get(domain) !== delay) {
      this.delays.set(domain, delay);
      void this.options
        .frontier()
        .noteCrawlDelay(domain, delay)
        .catch(() => undefined);
      this.options.logger.info('Crawl-delay of robots.txt applies', {
        domain,
        crawl_delay: delay,
        ...(delay < asked ? { asked, capped_by: 'CRAWL_DELAY_MAX' } : {}),
      });
    }
    try {
      // The slots are spaced a little more than the delay, so that the jitter between a crawler's send and
      // the site's receipt cannot bring two requests closer than the delay as the site sees them.
      const waitMs = await this.options.frontier().crawlDelaySlot(domain, delay + SLOT_MARGIN_SECONDS);
      if (waitMs > 0) this.options.metrics.crawlDelayed();
      return waitMs;
    } catch (err) {
      this.options.logger.warning('Could not reserve a Crawl-delay slot; waiting the whole delay', {
        domain,
        error: errorMessage(err),
      });
      return delay * 1000;
    }
  }

  /** A 429 or 503 with Retry-After: holds the domain for every crawler, capped by RETRY_AFTER_MAX. */
  async retryAfter(domain: string, asked: number, status: number, url: string): Promise<void> {
    const seconds = Math.min(asked, this.options.retryAfterMax);
    try {
      const until = await this.options.frontier().hold(domain, seconds);
      if (until === undefined) return;
      this.options.metrics.domainHeld();
      this.options.logger.warning(
        `Holding ${domain} for ${seconds} s: the site answered ${status} with Retry-After`,
        {
          domain,
          seconds,
          status_code: status,
          url,
          until: new Date(until).toISOString(),
          ...(seconds < asked ? { asked, capped_by: 'RETRY_AFTER_MAX' } : {}),
        },
      );
    } catch (err) {
      this.options.logger.warning('Could not hold the domain after Retry-After', {
        domain,
        url,
        error: errorMessage(err),
      });
    }
  }
}
