import type { Store } from '../../core/store/index.js';
import { redisKeys } from '../../core/wire/keys.js';

/** How many example URLs are kept per crawl and reason. */
const EXAMPLES = 5;

/**
 * A per-crawl summary of failures for the dashboard: counts by reason (a hash) and the last few URLs per
 * reason (a sorted set by time, trimmed to the newest few). Failures are gathered in memory and written once a second in one pipeline, so a
 * burst of failures costs one round trip, and pages that succeed cost nothing.
 */
export class FailureLog {
  private pending = new Map<
    string,
    { appid: string; crawlid: string; reason: string; urls: string[]; n: number }
  >();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    private readonly spiderid: string,
    private readonly ttlSeconds: number,
  ) {}

  record(appid: string, crawlid: string, reason: string, url: string): void {
    const id = `${appid}\u0000${crawlid}\u0000${reason}`;
    let entry = this.pending.get(id);
    if (!entry) this.pending.set(id, (entry = { appid, crawlid, reason, urls: [], n: 0 }));
    entry.n++;
    if (entry.urls.length < EXAMPLES) entry.urls.push(url);
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), 1000);
      this.timer.unref();
    }
  }

  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const pipe = this.store.pipeline();
    for (const { appid, crawlid, reason, urls, n } of batch.values()) {
      const counts = redisKeys.crawlFailures(this.spiderid, appid, crawlid);
      const examples = redisKeys.crawlFailureExamples(this.spiderid, appid, crawlid, reason);
      pipe.call('HINCRBY', counts, reason, n);
      pipe.call('EXPIRE', counts, this.ttlSeconds);
      const now = Date.now();
      pipe.call('ZADD', examples, ...urls.flatMap((url, i) => [now + i, url]));
      pipe.call('ZREMRANGEBYRANK', examples, 0, -(EXAMPLES + 1));
      pipe.call('EXPIRE', examples, this.ttlSeconds);
    }
    await pipe.exec().catch(() => undefined);
  }
}
