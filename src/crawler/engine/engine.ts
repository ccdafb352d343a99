import { setMaxListeners } from 'node:events';
import { Backoff, OutageLog } from '../../core/backoff.js';
import { ConnectionError, errorMessage } from '../../core/errors.js';
import { isStoreUnavailable } from '../../core/store/index.js';
import type { Lease } from '../frontier/frontier.js';
import { metaNumber, type QueuedRequest } from '../../core/wire/request-codec.js';
import type { CrawlResult } from '../pipeline/item.js';
import { failureItem } from './failure-item.js';
import { definiteFailure } from './definite-failure.js';
import { PatientPublisher } from './patient-publisher.js';
import { retryAfterSeconds } from './retry-after.js';
import { followRedirect, REDIRECT_STATUSES, retryRequest } from './follow-ups.js';
import { isFetchProblem, type FetchedPage } from './ports.js';
import type { EngineOptions } from './options.js';

export type { EngineOptions };

/**
 * The crawl loop of one crawler process: keeps up to CONCURRENT_REQUESTS downloads in flight (and at most
 * CONCURRENT_REQUESTS_PER_DOMAIN per domain), leasing them from the shared frontier, then for each:
 * fetch, retry or record the failure, parse, queue the follow-ups, publish, and only then end the lease.
 * As in Scrapy, a download slot frees as soon as its response is in: parsing, queueing and waiting for
 * Kafka's acknowledgement (up to KAFKA_PRODUCER_BATCH_LINGER_MS plus the broker) overlap the next downloads.
 */
export class CrawlEngine {
  private running = false;
  /** Set by stop(): requests cut short from now on are handed back as they were, with no outcome. */
  private stopping = false;
  private readonly inflight = new Set<Promise<void>>();
  private downloading = 0;
  private readonly perDomain = new Map<string, number>();
  private wake: (() => void) | undefined;
  private abort = new AbortController();
  private loop: Promise<void> | undefined;
  /** Publishes with patience; while Kafka refuses pages no new work is leased. */
  private readonly publisher: PatientPublisher;

  constructor(private readonly options: EngineOptions) {
    this.publisher = new PatientPublisher({
      publish: options.publish,
      logger: options.logger,
      ...(options.publishPatienceMs !== undefined ? { patienceMs: options.publishPatienceMs } : {}),
      ...(options.probePublisher ? { probe: options.probePublisher } : {}),
    });
  }

  get inFlight(): number {
    return this.inflight.size;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopping = false;
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
   * Stops taking new work, lets requests in flight finish for up to `graceMs`, then aborts the downloads
   * still running and hands their leases back to the queues at once, as they were: no failure record, no
   * count, no retry (the work was interrupted, not failed). Requests already downloaded finish publishing
   * first (for up to `graceMs` more), so none is both published and handed back. Resolves with how many
   * leases were handed back.
   */
  async stop(graceMs: number): Promise<number> {
    this.running = false;
    this.wake?.();
    await this.loop;
    await this.settle(graceMs);
    this.stopping = true;
    this.abort.abort();
    await this.settle(graceMs);
    const returned = await this.options.frontier.returnLeases().catch((err: unknown) => {
      this.options.logger.error('Could not hand back leases; they return when they expire', {
        error: errorMessage(err),
      });
      return 0;
    });
    await Promise.allSettled([...this.inflight]);
    return returned;
  }

  /** Waits until nothing is in flight, or `ms` passed. */
  private async settle(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inflight]),
      new Promise<void>((r) => (timer = setTimeout(r, ms))),
    ]);
    clearTimeout(timer);
  }

  private async run(): Promise<void> {
    const { frontier, logger } = this.options;
    const outage = this.options.outage ?? new OutageLog(logger, 'Redis');
    // While the store is down every turn fails at once: back off (with jitter, up to 5 s) instead of spinning.
    const backoff = new Backoff({ initialMs: 100, maxMs: 5000 });
    while (this.running) {
      try {
        // A turn can pass without a store call (nothing ready): only a reply proves the outage is over.
        if (outage.down) await frontier.probe();
        if (this.publisher.down && !(await this.publisher.back(this.inflight.size === 0))) {
          await this.idle(backoff.next());
          continue;
        }
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
        outage.recovered();
        backoff.reset();
        for (const lease of leases) this.launch(lease);
        if (leases.length === 0) await this.idle(Math.min(Math.max(frontier.msUntilReady(), 5), 1000));
      } catch (err) {
        const delay = backoff.next();
        if (isStoreUnavailable(err)) outage.failed(err, delay);
        else logger.error('Crawl loop error, retrying', { error: errorMessage(err), retry_in_ms: delay });
        await this.idle(delay);
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
      .catch((err: unknown) => this.unexpected(lease, err))
      .catch(() => undefined)
      .finally(() => {
        this.inflight.delete(task);
        downloaded();
        this.wake?.();
      });
    this.inflight.add(task);
  }

  /**
   * An error no outcome path expected (a spider bug, Redis or Kafka failing mid-request). The request goes
   * back to its queue with the attempt counted in Redis; at the last allowed attempt it ends instead with
   * one `internal-error` failure record carrying the message, so it is never fetched again and again.
   */
  private async unexpected(lease: Lease, err: unknown): Promise<void> {
    const { frontier, logger } = this.options;
    const url = lease.request.url;
    // Cut short by stop(): stop() hands the lease back as it was.
    if (this.stopping) return;
    if (
      err instanceof ConnectionError &&
      err.code === 'SC_KAFKA_UNREACHABLE' &&
      !(await this.publisher.answers())
    ) {
      // Kafka, not the request, failed (the outage is logged once): hand it back uncounted, so an outage
      // of any length never turns pages into failures. The loop leases nothing until Kafka answers. (A
      // broker that answers yet refuses this page is counted below like any other error, so it ends.)
      await frontier.returnLeases([lease]);
      return;
    }
    const attempts = (lease.attempts ?? 0) + 1;
    const maxAttempts = this.options.maxAttempts ?? 3;
    if (attempts < maxAttempts) {
      logger.error('Unexpected error while crawling; the request returns to its queue', {
        url,
        attempt: attempts,
        max_attempts: maxAttempts,
        error: errorMessage(err),
      });
      await frontier.returnLeases([lease], { countAttempt: true });
      return;
    }
    logger.error('Unexpected error while crawling, for the last allowed time; the request is given up', {
      url,
      attempt: attempts,
      max_attempts: maxAttempts,
      error: errorMessage(err),
    });
    const message = `Gave up after ${attempts} attempts; last error: ${errorMessage(err)}`;
    try {
      await this.finish(lease, [failureItem(lease.request, { reason: 'internal-error', message })], 'failed');
    } catch (publishErr) {
      // Not even the failure record went out (Kafka down?): the next lease publishes it without fetching.
      logger.error('Could not publish the failure record; the request returns to its queue', {
        url,
        error: errorMessage(publishErr),
      });
      await frontier.returnLeases([lease], { countAttempt: true });
    }
  }

  private async handle(lease: Lease, downloaded: () => void): Promise<void> {
    const { fetcher, parser, frontier, logger } = this.options;
    const request = lease.request;
    const meta = request.meta;
    const maxAttempts = this.options.maxAttempts ?? 3;
    if ((lease.attempts ?? 0) >= maxAttempts) {
      // Earlier leases of it all ended with no outcome (crawlers died holding it, or errors): not again.
      downloaded();
      const message =
        `Gave up after ${lease.attempts} attempts that ended with no outcome ` +
        '(the crawler stopped responding or met an unexpected error)';
      logger.error('Request given up', { url: request.url, attempts: lease.attempts });
      return this.finish(lease, [failureItem(request, { reason: 'internal-error', message })], 'failed');
    }
    const retries = metaNumber(meta, 'retry_times');
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
          // `meta.cookie` is CustomCookiesMiddleware's to apply (DOWNLOADER_MIDDLEWARES).
          cookies: request.cookies ?? null,
          userAgent: typeof meta.useragent === 'string' ? meta.useragent : null,
          proxy: typeof meta.proxy === 'string' ? meta.proxy : null,
          meta,
        },
        this.abort.signal,
      );
    } catch (err) {
      downloaded();
      // Aborted by stop(): stop() hands the lease back as it was, with no record and no count.
      if (this.stopping) return;
      if (!isFetchProblem(err)) throw err;
      const retried = err.retryable && retries < this.options.retryTimes;
      // Network failures count as 504s (the original's LogRetryMiddleware); refusals (robots.txt, the address
      // guard, the size limit) are no response at all and count nothing.
      if (err.retryable && this.options.logRetries !== false)
        this.options.onOutcome?.({ request, status: 504, retried });
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
    if (this.options.followRedirects && REDIRECT_STATUSES.has(page.status) && page.headers.location?.[0]) {
      return this.redirect(lease, page, page.headers.location[0]);
    }

    if ((page.status === 429 || page.status === 503) && this.options.onRetryAfter) {
      const seconds = retryAfterSeconds(page.headers['retry-after']?.[0], Date.now());
      if (seconds !== undefined && seconds > 0)
        await this.options.onRetryAfter(lease.domain, seconds, page.status, request.url);
    }
    const retryStatus = this.options.retryHttpCodes.includes(page.status);
    const retried = retryStatus && retries < this.options.retryTimes;
    this.options.onOutcome?.({ request, status: page.status, retried, page });
    if (retried) return this.retry(lease, `HTTP ${page.status}`, page.status);

    const items: CrawlResult[] = [];
    const children: QueuedRequest[] = [];
    try {
      for await (const output of parser.parse(page, request)) {
        if (parser.isItem(output)) items.push(output);
        else children.push(output);
      }
    } catch (err) {
      // Errors that would be the same on every attempt (a crawl's invalid allow_regex, a body too long
      // to decode) end the request now with one failure record; anything else is unexpected.
      const failure = definiteFailure(err);
      if (!failure) throw err;
      logger.warning('Request failed for good', {
        url: request.url,
        reason: failure.reason,
        error: failure.message,
      });
      return this.finish(lease, [failureItem(request, { ...failure, status: page.status })], 'failed');
    }
    if (children.length > 0) {
      await frontier.enqueue(
        children.map((child) => ({
          request: child,
          fingerprint: parser.fingerprint(child),
          priority: metaNumber(child.meta, 'priority'),
        })),
      );
    }
    await this.finish(lease, items, retryStatus ? 'failed' : 'published');
  }

  private async finish(lease: Lease, items: CrawlResult[], outcome: 'published' | 'failed'): Promise<void> {
    const sent = await Promise.all(
      items.map((item) => this.publisher.publish(item, () => this.stopping, this.abort.signal)),
    );
    // A page published without its body (too large for Kafka), or failed by a pipeline, counts as a
    // failure, as its record says. A request whose every item a pipeline dropped counts as neither.
    const failed = sent.includes('too-large') || sent.includes('failed');
    const dropped = sent.length > 0 && sent.every((s) => s === 'dropped');
    await this.options.frontier.ack(lease, failed ? 'failed' : dropped ? null : outcome);
  }

  /**
   * Sends a redirect's target back through the frontier, as Scrapy's redirect middleware does: the
   * duplicate filter, the page limits and the target domain's throttle apply to it, and the address guard
   * checks it when it is fetched. The redirect response itself is not published.
   */
  private async redirect(lease: Lease, page: FetchedPage, location: string): Promise<void> {
    const followed = followRedirect(lease.request, page, location, this.options.maxRedirects);
    if ('failure' in followed) {
      return this.finish(lease, [failureItem(lease.request, followed.failure)], 'failed');
    }
    const next = followed.next;
    // In one step with the end of this lease. A target already crawled (or queued) in this crawl is
    // dropped by the duplicate filter, as in the original: this request's outcome is that page's own
    // record. A loop within its own chain was caught above.
    await this.options.frontier.requeue(lease, {
      request: next,
      fingerprint: this.options.parser.fingerprint(next),
      priority: metaNumber(next.meta, 'priority'),
    });
  }

  /** Queues the request again at a lower priority (the original's RedisRetryMiddleware) and ends the lease. */
  private async retry(lease: Lease, reason: string, status: number): Promise<void> {
    const request = lease.request;
    const again = retryRequest(request);
    if (this.options.logRetries !== false)
      this.options.logger.error('Scraper Retry', {
        error_request: request.url,
        error_reason: reason,
        retry_count: again.meta.retry_times,
        status_code: status,
        appid: request.meta.appid,
        crawlid: request.meta.crawlid,
        url: request.url,
      });
    await this.options.frontier.requeue(lease, {
      request: again,
      fingerprint: '',
      priority: metaNumber(again.meta, 'priority'),
    });
  }
}

/** A request straight from the Kafka Monitor (no serialized-request fields), i.e. a crawl's seed. */
function isSeed(request: QueuedRequest): boolean {
  return request.callback === null && Number(request.meta.curdepth) === 0 && !request.dontFilter;
}
