import { hostname } from 'node:os';
import { createWindowedStats, statsTimes, type WindowedStats } from '../../core/stats/index.js';
import type { Store } from '../../core/store/index.js';
import { redisKeys } from '../../core/wire/keys.js';

const FLUSH_MS = 250;

/**
 * The response-code stats of one crawler (the original's RedisStatsMiddleware, STATS_STATUS_CODES):
 * rolling windows per code in `stats:crawler:<host>:<spiderid>:<code>`. Hits are gathered and written in
 * one pipeline every 250 ms (one ZADD per window and one PFADD per code for all of them) rather than one
 * pipeline of those commands per page.
 */
export class StatusCodeStats {
  private readonly stats = new Map<number, WindowedStats>();
  /** Hits not yet written, per status. */
  private readonly pending = new Map<number, string[]>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    private readonly spiderName: string,
    private readonly settings: {
      STATS_STATUS_CODES: boolean;
      STATS_RESPONSE_CODES: number[];
      STATS_TIMES: string[];
      STATS_CYCLE: number;
    },
  ) {}

  count(status: number, url: string): void {
    const { settings } = this;
    if (!settings.STATS_STATUS_CODES || !settings.STATS_RESPONSE_CODES.includes(status)) return;
    let hits = this.pending.get(status);
    if (!hits) this.pending.set(status, (hits = []));
    hits.push(`${url}${status}`);
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), FLUSH_MS);
      this.timer.unref();
    }
  }

  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return;
    const pipe = this.store.pipeline();
    for (const [status, hits] of this.pending) this.windowsOf(status).queueIncrementMany(pipe, hits);
    this.pending.clear();
    await pipe.exec().catch(() => undefined);
  }

  /** Writes what is pending and stops the windows' timers. */
  async stop(): Promise<void> {
    await this.flush();
    for (const s of this.stats.values()) s.stop();
  }

  private windowsOf(status: number): WindowedStats {
    let stats = this.stats.get(status);
    if (!stats) {
      stats = createWindowedStats(
        this.store,
        redisKeys.crawlerStatus(hostname(), this.spiderName, status),
        statsTimes(this.settings.STATS_TIMES),
        { cycleTime: this.settings.STATS_CYCLE },
      );
      this.stats.set(status, stats);
    }
    return stats;
  }
}
