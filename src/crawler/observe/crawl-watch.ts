import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logging/index.js';
import type { Store } from '../../core/store/index.js';
import { redisKeys as K } from '../../core/wire/keys.js';
import { crawlFinished } from '../../core/crawl-status/scripts.js';

/** Most members the finish check reads from one queue; a longer queue still has work for some crawl. */
const SCAN_LIMIT = 1000;
/** Most members one finish check reads in all (bounds the script's time in Redis). */
const SCAN_BUDGET = 10_000;
/** Longest wait before a crawl's newly seen queues are recorded in Redis. */
const RECORD_MS = 1000;

interface TrackedCrawl {
  appid: string;
  crawlid: string;
  lastActivity: number;
  /** Queue keys seen since the last tick, to be added to the crawl's queue set in Redis. */
  newQueues: Set<string>;
  /** When a check first found nothing pending (reset when something is). */
  idleSince: number | undefined;
  /** Pages and failures of this crawl done here since the last progress line. */
  pages: number;
}

/** The `crawl-finished` announcement on the outbound topic. */
export interface CrawlFinishedMessage {
  action: 'crawl-finished';
  appid: string;
  crawlid: string;
  spiderid: string;
  crawl_stats: Record<string, number>;
}

export interface CrawlWatchOptions {
  store: Store;
  spiderid: string;
  logger: Logger;
  /** Publishes the announcement (the crawler sends it to `<prefix>.outbound_firehose`). */
  announce: (message: CrawlFinishedMessage) => Promise<void>;
  /** Seconds a crawl's queue set and finished marker live (the crawl accounting's lifetime). */
  ttlSeconds: number;
  /** Milliseconds between checks; a crawl counts as idle here after one period without a page. */
  checkMs?: number;
  onFinished?: () => void;
}

/**
 * Notices when a crawl this crawler worked on is finished (nothing of it queued, nothing leased) and
 * announces it once for the whole cluster. The crawlers record, once per check period and in one script
 * call per crawl, which domain queues each crawl's requests went to; a crawl idle here is checked against
 * those queues and the lease records, and is declared finished only when two checks at least two periods
 * apart found nothing, so queues another crawler recorded late are seen. The script's marker makes the
 * announcement happen once however many crawlers check. Nothing of this is on the per-page path but a
 * Map update.
 */
export class CrawlWatch {
  private readonly crawls = new Map<string, TrackedCrawl>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly checkMs: number;
  /** The crawl seen last: pages mostly come in runs of one crawl. */
  private last: { id: string; crawl: TrackedCrawl } | undefined;
  private lastCheck = 0;

  constructor(private readonly options: CrawlWatchOptions) {
    this.checkMs = options.checkMs ?? 5000;
  }

  /** A page or failure of the crawl was handled here; `queue` is the domain queue it came from or went to. */
  seen(appid: string, crawlid: string, queue: string | undefined, page = true): void {
    const id = `${appid}\u0000${crawlid}`;
    let crawl = this.last?.id === id ? this.last.crawl : this.crawls.get(id);
    if (!crawl) {
      crawl = { appid, crawlid, lastActivity: 0, newQueues: new Set(), idleSince: undefined, pages: 0 };
      this.crawls.set(id, crawl);
    }
    this.last = { id, crawl };
    crawl.lastActivity = Date.now();
    crawl.idleSince = undefined;
    if (page) crawl.pages++;
    if (queue !== undefined) crawl.newQueues.add(queue);
  }

  /** The crawls with pages here since the last call, with their page counts (reset). */
  takeActive(): { appid: string; crawlid: string; pages: number }[] {
    const active: { appid: string; crawlid: string; pages: number }[] = [];
    for (const crawl of this.crawls.values()) {
      if (crawl.pages > 0) active.push({ appid: crawl.appid, crawlid: crawl.crawlid, pages: crawl.pages });
      crawl.pages = 0;
    }
    return active;
  }

  start(): void {
    // New queues are recorded within a second (the dashboard's pending counts read them); the finish
    // checks run once per check period.
    this.timer = setInterval(
      () => {
        this.running ??= this.tick()
          .catch((err: unknown) =>
            this.options.logger.debug('Crawl finish check failed', { error: errorMessage(err) }),
          )
          .finally(() => (this.running = undefined));
      },
      Math.min(this.checkMs, RECORD_MS),
    );
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One pass over the tracked crawls (records new queues; checks idle ones when a period passed), one pipeline. */
  async tick(now = Date.now()): Promise<void> {
    const { store, spiderid, ttlSeconds } = this.options;
    const checkDue = now - this.lastCheck >= this.checkMs - 50;
    if (checkDue) this.lastCheck = now;
    const batch: { id: string; crawl: TrackedCrawl }[] = [];
    const pipe = store.pipeline();
    for (const [id, crawl] of this.crawls) {
      const idle = now - crawl.lastActivity >= this.checkMs;
      if (idle && now - crawl.lastActivity > ttlSeconds * 1000) {
        this.forget(id);
        continue;
      }
      if ((!idle || !checkDue) && crawl.newQueues.size === 0) continue;
      const mode =
        !idle || !checkDue
          ? 'record'
          : crawl.idleSince !== undefined && now - crawl.idleSince >= 2 * this.checkMs
            ? 'claim'
            : 'check';
      const queues = [...crawl.newQueues];
      crawl.newQueues.clear();
      batch.push({ id, crawl });
      pipe.run(
        crawlFinished,
        [
          K.leased(spiderid),
          `crawlqueues:${spiderid}:${crawl.appid}:${crawl.crawlid}`,
          K.crawlStats(spiderid, crawl.appid, crawl.crawlid),
          K.crawlFinished(spiderid, crawl.appid, crawl.crawlid),
        ],
        [crawl.appid, crawl.crawlid, mode, SCAN_LIMIT, SCAN_BUDGET, ttlSeconds, ...queues],
      );
    }
    if (batch.length === 0) return;
    const replies = await pipe.exec();
    const announcements: Promise<void>[] = [];
    batch.forEach(({ id, crawl }, i) => {
      const reply = replies[i];
      if (reply instanceof Error || !Array.isArray(reply)) return;
      const [state, ...rest] = reply as [string, ...unknown[]];
      if (state === 'announced') this.forget(id);
      else if (state === 'idle') crawl.idleSince ??= now;
      else if (state === 'pending' || state === 'unknown') crawl.idleSince = undefined;
      else if (state === 'finished') {
        this.forget(id);
        announcements.push(this.finished(crawl, rest as string[]));
      }
    });
    await Promise.all(announcements);
  }

  private forget(id: string): void {
    this.crawls.delete(id);
    if (this.last?.id === id) this.last = undefined;
  }

  private async finished(crawl: TrackedCrawl, statsPairs: string[]): Promise<void> {
    const { logger, spiderid } = this.options;
    const stats: Record<string, number> = {};
    for (let i = 0; i + 1 < statsPairs.length; i += 2) stats[statsPairs[i]!] = Number(statsPairs[i + 1]);
    const published = stats.published ?? 0;
    const failed = stats.failed ?? 0;
    logger.info(`Crawl finished: ${crawl.appid}/${crawl.crawlid}, ${published} published, ${failed} failed`, {
      appid: crawl.appid,
      crawlid: crawl.crawlid,
      spiderid,
      published,
      failed,
    });
    this.options.onFinished?.();
    try {
      await this.options.announce({
        action: 'crawl-finished',
        appid: crawl.appid,
        crawlid: crawl.crawlid,
        spiderid,
        crawl_stats: stats,
      });
    } catch (err) {
      logger.warning('Could not announce the finished crawl', {
        appid: crawl.appid,
        crawlid: crawl.crawlid,
        error: errorMessage(err),
      });
    }
  }
}
