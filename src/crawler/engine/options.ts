import type { OutageLog } from '../../core/backoff.js';
import type { Logger } from '../../core/logging/index.js';
import type { QueuedRequest } from '../../core/wire/request-codec.js';
import type { Frontier } from '../frontier/frontier.js';
import type { ItemOutcome } from '../middleware/item-pipelines.js';
import type { CrawlResult } from '../pipeline/item.js';
import type { FetchedPage, PageFetcher, PageParser } from './ports.js';

/** What the crawl engine is given: its ports (frontier, fetcher, parser, publisher) and its limits. */
export interface EngineOptions {
  frontier: Frontier;
  fetcher: PageFetcher;
  parser: PageParser;
  /**
   * Resolves when the item went through the item pipelines (and is on Kafka): `too-large` when it went
   * without its body and `failed` when a pipeline failed it (both count as failed), `dropped` when a
   * pipeline dropped it.
   */
  publish: (item: CrawlResult) => Promise<ItemOutcome | void>;
  logger: Logger;
  /** Downloads at once (CONCURRENT_REQUESTS). */
  concurrentRequests: number;
  concurrentPerDomain: number;
  /**
   * Downloaded pages being parsed, queued and published at once, beside the downloads (Scrapy's
   * CONCURRENT_ITEMS, default 100). A page keeps its lease until it is published either way.
   */
  concurrentItems?: number;
  retryTimes: number;
  /**
   * Leases of one request that may end with no outcome (crash, expired lease, unexpected error) before it
   * is given up with one `internal-error` failure record (LEASE_MAX_ATTEMPTS, default 3).
   */
  maxAttempts?: number;
  retryHttpCodes: number[];
  /** Log each retry ('Scraper Retry') and count network failures as 504s (LogRetryMiddleware; default on). */
  logRetries?: boolean;
  /** Follow redirects through the frontier (REDIRECT_ENABLED), at most `maxRedirects` hops. */
  followRedirects: boolean;
  maxRedirects: number;
  /** Called for every response and every network failure, as 504 (stats middlewares hook in here). */
  onOutcome?: (outcome: {
    request: QueuedRequest;
    status: number;
    retried: boolean;
    page?: FetchedPage;
  }) => void;
  /**
   * A 429 or 503 answered with Retry-After: the seconds the site asked for (the crawler holds the domain
   * for every crawler). Errors are the callee's to report; the request goes on to its retry either way.
   */
  onRetryAfter?: (domain: string, seconds: number, status: number, url: string) => Promise<void>;
  /** Reports the store being unreachable once per outage (shared with the crawler's other loops). */
  outage?: OutageLog;
  /**
   * How long a downloaded page keeps trying to reach Kafka before its lease is handed back uncounted
   * (default 30 s; keep it under LEASE_TIMEOUT so no other crawler takes the request meanwhile).
   */
  publishPatienceMs?: number;
  /**
   * Answers once Kafka takes records again (e.g. a metadata call). While a publish outage lasts the loop
   * leases nothing, so the sites are not fetched for pages that could not be delivered; this decides when
   * it resumes.
   */
  probePublisher?: () => Promise<unknown>;
}
