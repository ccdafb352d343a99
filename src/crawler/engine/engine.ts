import { setMaxListeners } from 'node:events';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logging/index.js';
import type { Frontier, Lease } from '../frontier/frontier.js';
import type { QueuedRequest } from '../frontier/request-codec.js';
import type { CrawlItem } from '../pipeline/item.js';
import { failureItem } from './failure-item.js';
import { isFetchProblem, type FetchedPage, type PageFetcher, type PageParser } from './ports.js';

export interface EngineOptions {
  frontier: Frontier;
  fetcher: PageFetcher;
  parser: PageParser;
  publish: (item: CrawlItem) => Promise<void>;
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
  retryHttpCodes: number[];
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
}

/**
 * The crawl loop of one crawler process: keeps up to CONCURRENT_REQUESTS downloads in flight (and at most
 * CONCURRENT_REQUESTS_PER_DOMAIN per domain), leasing them from the shared frontier, then for each:
 * fetch, retry or record the failure, parse, queue the follow-ups, publish, and only then end the lease.
 * As in Scrapy, a download slot frees as soon as its response is in: parsing, queueing and waiting for
 * Kafka's acknowledgement (up to KAFKA_PRODUCER_BATCH_LINGER_MS plus the broker) overlap the next downloads.
 */
export class CrawlEngine {
  private running = false;
  private readonly inflight = new Set<Promise<void>>();
  private downloading = 0;
  private readonly perDomain = new Map<string, number>();
  private wake: (() => void) | undefined;
  private abort = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(private readonly options: EngineOptions) {}

  get inFlight(): number {
    return this.inflight.size;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.abort = new AbortController();
    // Every download in flight listens on this one signal.
    setMaxListeners(0, this.abort.signal);
    this.loop = this.run();
  }

  /** Ends an idle wait of the crawl loop now (a new queue was announced). */
  nudge(): void {
    this.wake?.();
  }

  /**
   * Stops taking new work, lets requests in flight finish for up to `graceMs`, then aborts the rest and
   * hands their leases back to the queues at once. Resolves with how many leases were handed back.
   */
  async stop(graceMs: number): Promise<number> {
    this.running = false;
    this.wake?.();
    await this.loop;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inflight]),
      new Promise<void>((r) => (timer = setTimeout(r, graceMs))),
    ]);
    clearTimeout(timer);
    this.abort.abort();
    const returned = await this.options.frontier.returnLeases().catch((err: unknown) => {
      this.options.logger.error('Could not hand back leases; they return when they expire', {
        error: errorMessage(err),
      });
      return 0;
    });
    await Promise.allSettled([...this.inflight]);
    return returned;
  }

  private async run(): Promise<void> {
    const { frontier, logger } = this.options;
    while (this.running) {
      try {
        await frontier.refreshQueues();
        const free = Math.min(
          this.options.concurrentRequests - this.downloading,
          this.options.concurrentRequests + (this.options.concurrentItems ?? 100) - this.inflight.size,
        );
        if (free <= 0) {
          await this.idle(1000);
          continue;
        }
        const leases = await frontier.lease(
          free,
          (domain) => this.options.concurrentPerDomain - (this.perDomain.get(domain) ?? 0),
          (domain) => !this.perDomain.has(domain),
        );
        for (const lease of leases) this.launch(lease);
        if (leases.length === 0) await this.idle(Math.min(Math.max(frontier.msUntilReady(), 5), 1000));
      } catch (err) {
        logger.error('Crawl loop error, retrying', { error: errorMessage(err) });
        await this.idle(1000);
      }
    }
  }

  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private launch(lease: Lease): void {
    this.downloading++;
    this.perDomain.set(lease.domain, (this.perDomain.get(lease.domain) ?? 0) + 1);
    let downloading = true;
    // Frees the download slot (once): when the response is in, or when the request ends otherwise.
    const downloaded = () => {
      if (!downloading) return;
      downloading = false;
      this.downloading--;
      const n = (this.perDomain.get(lease.domain) ?? 1) - 1;
      if (n <= 0) this.perDomain.delete(lease.domain);
      else this.perDomain.set(lease.domain, n);
      this.wake?.();
    };
    const task = this.handle(lease, downloaded)
      .catch((err: unknown) => {
        this.options.logger.error('Unexpected error while crawling; the request returns to its queue', {
          url: lease.request.url,
          error: errorMessage(err),
        });
        return this.options.frontier.returnLeases([lease]).then(() => undefined);
      })
      .catch(() => undefined)
      .finally(() => {
        this.inflight.delete(task);
        downloaded();
        this.wake?.();
      });
    this.inflight.add(task);
  }

  private async handle(lease: Lease, downloaded: () => void): Promise<void> {
    const { fetcher, parser, frontier, logger } = this.options;
    const request = lease.request;
    const meta = request.meta;
    const retries = Number(meta.retry_times) || 0;
    // The fetch goes first: the throttle slot was taken at lease time, and any delay before the request
    // leaves would let requests bunch up at the site.
    const remembered = isSeed(request)
      ? frontier.rememberSeed(String(meta.crawlid), parser.fingerprint(request))
      : Promise.resolve();

    let page: FetchedPage;
    try {
      page = await fetcher.fetch(
        {
          url: request.url,
          method: request.method,
          headers: request.headers,
          body: request.body,
          cookies: request.cookies ?? (meta.cookie as string | null | undefined) ?? null,
          userAgent: typeof meta.useragent === 'string' ? meta.useragent : null,
        },
        this.abort.signal,
      );
    } catch (err) {
      downloaded();
      if (!isFetchProblem(err)) throw err;
      const retried = err.retryable && retries < this.options.retryTimes;
      // Network failures count as 504s (the original's LogRetryMiddleware); refusals (robots.txt, the address
      // guard, the size limit) are no response at all and count nothing.
      if (err.retryable) this.options.onOutcome?.({ request, status: 504, retried });
      if (retried) return this.retry(lease, err.message, 504);
      logger.warning('Request failed for good', { url: request.url, reason: err.reason, error: err.message });
      return this.finish(
        lease,
        [failureItem(request, { reason: err.reason, message: err.message })],
        'failed',
      );
    }

    downloaded();

    await remembered;
    if (this.options.followRedirects && REDIRECTS.has(page.status) && page.headers.location?.[0]) {
      return this.redirect(lease, page, page.headers.location[0]);
    }

    const retryStatus = this.options.retryHttpCodes.includes(page.status);
    const retried = retryStatus && retries < this.options.retryTimes;
    this.options.onOutcome?.({ request, status: page.status, retried, page });
    if (retried) return this.retry(lease, `HTTP ${page.status}`, page.status);

    const items: CrawlItem[] = [];
    const children: QueuedRequest[] = [];
    for await (const output of parser.parse(page, request)) {
      if (parser.isItem(output)) items.push(output);
      else children.push(output);
    }
    if (children.length > 0) {
      await frontier.enqueue(
        children.map((child) => ({
          request: child,
          fingerprint: parser.fingerprint(child),
          priority: Number(child.meta.priority) || 0,
        })),
      );
    }
    await this.finish(lease, items, retryStatus ? 'failed' : 'published');
  }

  private async finish(lease: Lease, items: CrawlItem[], outcome: 'published' | 'failed'): Promise<void> {
    await Promise.all(items.map((item) => this.options.publish(item)));
    await this.options.frontier.ack(lease, outcome);
  }

  /**
   * Sends a redirect's target back through the frontier, as Scrapy's redirect middleware does: the
   * duplicate filter, the page limits and the target domain's throttle apply to it, and the address guard
   * checks it when it is fetched. The redirect response itself is not published.
   */
  private async redirect(lease: Lease, page: FetchedPage, location: string): Promise<void> {
    const request = lease.request;
    const hops = (Number(request.meta.redirect_times) || 0) + 1;
    let target: string;
    try {
      target = new URL(location, page.finalUrl).href;
    } catch {
      return this.finish(
        lease,
        [failureItem(request, { reason: 'invalid-url', message: `Invalid redirect to ${location}` })],
        'failed',
      );
    }
    if (hops > this.options.maxRedirects) {
      const message = `More than ${this.options.maxRedirects} redirects, last to ${target}`;
      return this.finish(lease, [failureItem(request, { reason: 'too-many-redirects', message })], 'failed');
    }
    const keepsMethod = page.status === 307 || page.status === 308;
    const next: QueuedRequest = {
      ...request,
      url: target,
      method: keepsMethod ? request.method : 'GET',
      body: keepsMethod ? request.body : '',
      meta: {
        ...request.meta,
        redirect_times: hops,
        redirect_urls: [...((request.meta.redirect_urls as string[] | undefined) ?? []), request.url],
      },
      dontFilter: false,
      callback: request.callback ?? 'parse',
    };
    await this.options.frontier.enqueue([
      {
        request: next,
        fingerprint: this.options.parser.fingerprint(next),
        priority: Number(next.meta.priority) || 0,
      },
    ]);
    await this.options.frontier.ack(lease, null);
  }

  /** Queues the request again at a lower priority (the original's RedisRetryMiddleware) and ends the lease. */
  private async retry(lease: Lease, reason: string, status: number): Promise<void> {
    const request = lease.request;
    const meta = request.meta;
    const retryTimes = (Number(meta.retry_times) || 0) + 1;
    const again: QueuedRequest = {
      ...request,
      meta: { ...meta, retry_times: retryTimes, priority: (Number(meta.priority) || 0) - 10 },
      dontFilter: true,
    };
    this.options.logger.error('Scraper Retry', {
      error_request: request.url,
      error_reason: reason,
      retry_count: retryTimes,
      status_code: status,
      appid: meta.appid,
      crawlid: meta.crawlid,
      url: request.url,
    });
    await this.options.frontier.enqueue([
      { request: again, fingerprint: '', priority: Number(again.meta.priority) || 0 },
    ]);
    await this.options.frontier.ack(lease, null);
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** A request straight from the Kafka Monitor (no serialized-request fields), i.e. a crawl's seed. */
function isSeed(request: QueuedRequest): boolean {
  return request.callback === null && Number(request.meta.curdepth) === 0 && !request.dontFilter;
}
