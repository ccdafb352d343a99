import { randomUUID } from 'node:crypto';
import { BadInputError, errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logging/index.js';
import type { SettingsRecord } from '../core/settings/index.js';
import type { SpiderClass } from '../crawler/spider/index.js';
import { startStandalone, type StandaloneCluster } from './cluster.js';
import type { StandaloneSettingsSource } from './settings.js';
import { pause as sleep } from '../core/backoff.js';

/** One record of the crawled firehose: a page, or (with `error`) the one failure record of a request. */
export interface CrawlResult {
  url: string;
  response_url?: string;
  status_code?: number;
  crawlid: string;
  appid: string;
  body?: string;
  error?: { reason: string; message: string };
  [field: string]: unknown;
}

export interface CrawlProgress {
  /** Results received so far: pages, and failure records. */
  pages: number;
  failed: number;
  /** Requests still queued for this crawl (from the cluster's info reply; -1 before the first). */
  pending: number;
  /** Requests being fetched right now. */
  inFlight: number;
  elapsedMs: number;
}

export interface CrawlSummary {
  crawlid: string;
  pages: number;
  failed: number;
  /** Failure records by reason (`connect`, `robots`, `http`...). */
  failures: Record<string, number>;
  elapsedMs: number;
  /** False when the crawl was ended by `idleTimeoutSeconds` or `signal` instead of finishing. */
  finished: boolean;
}

export interface CrawlOptions extends StandaloneSettingsSource {
  /** Follow links this many levels deep (the request's `maxdepth`, default 0: only the given URLs). */
  maxDepth?: number;
  /** Follow links only to these domains (the request's `allowed_domains`). */
  allowedDomains?: string[];
  /** Drop the page body from the results (memory and output size). */
  body?: boolean;
  appid?: string;
  crawlid?: string;
  /** `auto` (default): real servers when REDIS_HOST / KAFKA_HOSTS / ZOOKEEPER_HOSTS are named. */
  backends?: 'auto' | 'memory';
  spider?: string | SpiderClass;
  logger?: Logger;
  /** Called about four times a second while the crawl runs. */
  onProgress?: (progress: CrawlProgress) => void;
  /** Give up when no result arrived and nothing changed for this long (default 300 s). */
  idleTimeoutSeconds?: number;
  signal?: AbortSignal;
}

/**
 * The one-shot crawl's cluster settings: the REST service is only its own feed and info channel, so it
 * listens on a free loopback port and answers at once; no stats dumps.
 */
const CRAWL_OVERRIDES: SettingsRecord = {
  FLASK_LOGGING_ENABLED: false,
  STATS_DUMP: 0,
};

async function postFeed(base: string, request: Record<string, unknown>): Promise<Record<string, unknown>> {
  const response = await fetch(`${base}/feed`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request),
  });
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (response.status !== 200 || body.status !== 'SUCCESS')
    throw new BadInputError(
      `the cluster refused ${typeof request.url === 'string' ? request.url : 'the request'}: ${JSON.stringify(body.error ?? body)}`,
    );
  return body;
}

interface InfoState {
  pending: number;
  inFlight: number;
  published: number;
  failed: number;
  /** True once the crawl has accounting and nothing is queued or being fetched. */
  finished: boolean;
  /** The cluster has never seen a request of this crawl (no accounting yet). */
  unseen: boolean;
}

async function crawlInfo(base: string, appid: string, crawlid: string, spiderid: string): Promise<InfoState> {
  const reply = await postFeed(base, { action: 'info', appid, crawlid, spiderid, uuid: randomUUID() });
  const data = (reply.data ?? {}) as Record<string, unknown>;
  const stats = data.crawl_stats as { published?: number; failed?: number; in_flight?: number } | undefined;
  const pending = typeof data.total_pending === 'number' ? data.total_pending : -1;
  return {
    pending,
    inFlight: stats?.in_flight ?? 0,
    published: stats?.published ?? 0,
    failed: stats?.failed ?? 0,
    finished: data.finished === true,
    unseen: stats === undefined,
  };
}

/**
 * Crawls `urls` with an embedded cluster (in memory, or on the real servers the settings name), yielding
 * every result as it arrives, and returns a summary once the crawl is finished: nothing queued, nothing
 * in flight, and every accounted page and failure received. The programmatic twin of
 * `scrapy-cluster crawl`, as Crawlee's `crawler.run()`.
 */
export async function* crawl(
  urls: string[],
  options: CrawlOptions = {},
): AsyncGenerator<CrawlResult, CrawlSummary, undefined> {
  if (urls.length === 0) throw new BadInputError('crawl needs at least one URL');
  for (const url of urls) {
    if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol))
      throw new BadInputError(`not an http(s) URL: ${url}`);
  }
  const maxDepth = options.maxDepth ?? 0;
  if (!Number.isInteger(maxDepth) || maxDepth < 0)
    throw new BadInputError(`maxdepth must be a whole number >= 0, got ${maxDepth}`);
  const appid = options.appid ?? 'crawl';
  const crawlid = options.crawlid ?? `crawl-${randomUUID().slice(0, 8)}`;
  const keepBody = options.body ?? true;
  const idleMs = (options.idleTimeoutSeconds ?? 300) * 1000;
  const started = Date.now();

  const cluster: StandaloneCluster = await startStandalone({
    ...(options.settingsFile ? { settingsFile: options.settingsFile } : {}),
    ...(options.env ? { env: options.env } : {}),
    ...(options.flags ? { flags: options.flags } : {}),
    overrides: { ...CRAWL_OVERRIDES, ...options.overrides },
    backends: options.backends ?? 'auto',
    port: 0,
    host: '127.0.0.1',
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.spider ? { spider: options.spider } : {}),
    graceSeconds: 2,
  });
  const spiderid = cluster.crawler.frontier.spiderid;

  // Results wait here until the consumer asks for them.
  const queue: CrawlResult[] = [];
  let wake: (() => void) | undefined;
  const notify = (): void => {
    wake?.();
    wake = undefined;
  };
  let pages = 0;
  let failed = 0;
  const failures: Record<string, number> = {};
  let lastChange = Date.now();
  const off = cluster.streams.on('crawled', (message) => {
    let record: CrawlResult;
    try {
      record = JSON.parse(message.value) as CrawlResult;
    } catch {
      return;
    }
    if (record.crawlid !== crawlid || record.appid !== appid) return;
    if (record.error) {
      failed++;
      failures[record.error.reason] = (failures[record.error.reason] ?? 0) + 1;
    } else pages++;
    if (!keepBody) delete record.body;
    lastChange = Date.now();
    queue.push(record);
    notify();
  });

  let info: InfoState = { pending: -1, inFlight: 0, published: 0, failed: 0, finished: false, unseen: true };
  let done = false;
  let timedOut = false;
  const progress = (): CrawlProgress => ({
    pages,
    failed,
    pending: info.pending,
    // This process's own fetches, or the cluster's count when other crawlers share the crawl.
    inFlight: Math.max(info.inFlight, cluster.crawler.inFlight),
    elapsedMs: Date.now() - started,
  });
  const progressTimer = options.onProgress
    ? setInterval(() => options.onProgress?.(progress()), 250)
    : undefined;

  // Watches the crawl's accounting until it is over, then wakes the consumer a last time.
  const watch = async (): Promise<void> => {
    let seenPending = -2;
    while (!done) {
      await sleep(400);
      if (options.signal?.aborted) break;
      try {
        const next = await crawlInfo(cluster.url, appid, crawlid, spiderid);
        if (next.pending !== seenPending || next.inFlight !== info.inFlight) lastChange = Date.now();
        seenPending = next.pending;
        info = next;
      } catch (err) {
        options.logger?.warning('Crawl info request failed', { error: errorMessage(err) });
      }
      const received = pages + failed;
      if (info.finished && received >= info.published + info.failed && cluster.crawler.inFlight === 0) break;
      // A crawl whose requests were all refused before any was leased never gets accounting.
      if (info.unseen && info.pending === 0 && Date.now() - lastChange > 5000 && received === 0) break;
      if (Date.now() - lastChange > idleMs) {
        timedOut = true;
        break;
      }
    }
    done = true;
    notify();
  };

  let watcher: Promise<void> | undefined;
  try {
    for (const url of urls) {
      await postFeed(cluster.url, {
        url,
        appid,
        crawlid,
        spiderid,
        maxdepth: maxDepth,
        ...(options.allowedDomains?.length ? { allowed_domains: options.allowedDomains } : {}),
      });
    }
    lastChange = Date.now();
    watcher = watch();
    for (;;) {
      const next = queue.shift();
      if (next) {
        yield next;
        continue;
      }
      if (done) break;
      await new Promise<void>((resolve) => (wake = resolve));
    }
    return {
      crawlid,
      pages,
      failed,
      failures,
      elapsedMs: Date.now() - started,
      finished: !timedOut && !options.signal?.aborted,
    };
  } finally {
    done = true;
    notify();
    await watcher;
    clearInterval(progressTimer);
    off();
    await cluster.close();
  }
}
