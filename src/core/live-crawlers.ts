import type { Logger } from './logging/index.js';
import type { Store } from './store/index.js';
import { errorMessage } from './errors.js';
import { redisKeys } from './wire/keys.js';

/**
 * Crawlers announce themselves with the heartbeat key `stats:crawler:<host>:<spiderid>:<id>` (see
 * Crawler.start and core/heartbeat.ts), which expires when they stop. A crawl for a spider type no live
 * crawler serves would sit in its queue silently: the Kafka Monitor and the Redis Monitor's info reply
 * say so instead.
 */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/** How many live crawlers serve `spiderid`, counted from their heartbeat keys (SCAN, no KEYS). */
export async function liveCrawlerCount(store: Store, spiderid: string): Promise<number> {
  let count = 0;
  for await (const keys of store.scan(redisKeys.crawlerSelf('*', escapeGlob(spiderid), '*'), 1000))
    for (const key of keys) {
      const parts = key.split(':');
      if (parts.length === 5 && parts[3] === spiderid) count++;
    }
  return count;
}

/**
 * Warns (at most once per `intervalMs` per spider type, so a big crawl does not SCAN per request) when
 * crawl requests arrive for a spider type that no live crawler serves.
 */
export class SpiderTypeWatch {
  private readonly checked = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    private readonly intervalMs = 30_000,
  ) {}

  async check(spiderid: string, extras: Record<string, unknown> = {}): Promise<void> {
    const now = Date.now();
    if (now - (this.checked.get(spiderid) ?? -Infinity) < this.intervalMs) return;
    this.checked.set(spiderid, now);
    try {
      if ((await liveCrawlerCount(this.store, spiderid)) === 0)
        this.logger.warning(
          `No live crawler serves spider type '${spiderid}': the crawl waits in its queue`,
          {
            spiderid,
            ...extras,
          },
        );
    } catch (err) {
      this.logger.debug('Cannot count live crawlers', { spiderid, error: errorMessage(err) });
    }
  }
}
