import type { Logger } from '../logging/index.js';
import type { Store } from '../store/index.js';
import { execChecked } from './base-counter.js';
import { statsTimes } from './times.js';
import { createWindowedStats, type WindowedStats } from './windowed-stats.js';

/**
 * A component's counters (facts 4.6, 8.2): `<prefix>:total|fail|<Plugin>:<window>` rolling windows plus
 * `:lifetime` HyperLogLogs, e.g. `stats:kafka-monitor:ScraperHandler:900`. Hits are noted in memory and
 * sent in one pipeline, one command per key, so stats never cost a round trip per message per window.
 */
export class ComponentStats {
  private readonly groups = new Map<string, WindowedStats>();
  private pending = new Map<string, string[]>();

  constructor(
    private readonly store: Store,
    private readonly prefix: string,
    private readonly options: { windows: number[]; cycleTime: number; total: boolean; plugins: boolean },
  ) {}

  static fromSettings(
    store: Store,
    prefix: string,
    settings: { STATS_TIMES: string[]; STATS_CYCLE: number; STATS_TOTAL: boolean; STATS_PLUGINS: boolean },
    logger: Logger,
  ): ComponentStats {
    const windows = statsTimes(settings.STATS_TIMES, (name) =>
      logger.warning(`Unable to find Stats Time '${name}'`),
    );
    return new ComponentStats(store, prefix, {
      windows,
      cycleTime: settings.STATS_CYCLE,
      total: settings.STATS_TOTAL,
      plugins: settings.STATS_PLUGINS,
    });
  }

  /** Notes a hit on `total`, `fail` or a plugin name; nothing is sent before flush(). */
  record(group: string, item: string): void {
    const isPlugin = group !== 'total' && group !== 'fail';
    if (isPlugin ? !this.options.plugins : !this.options.total) return;
    let items = this.pending.get(group);
    if (!items) this.pending.set(group, (items = []));
    items.push(item);
  }

  /** Forgets hits noted since the last flush (the batch will be processed again). */
  discard(): void {
    this.pending = new Map();
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const pipe = this.store.pipeline();
    for (const [group, items] of this.pending) this.group(group).queueIncrementMany(pipe, items);
    this.pending = new Map();
    await execChecked(pipe);
  }

  /** Values for the periodic dump: `total_900`, `fail_lifetime`, `plugin_ScraperHandler_3600`, ... */
  async dump(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const [group, stats] of this.groups) {
      const label = group === 'total' || group === 'fail' ? group : `plugin_${group}`;
      for (const [window, value] of Object.entries(await stats.values())) out[`${label}_${window}`] = value;
    }
    return out;
  }

  stop(): void {
    for (const g of this.groups.values()) g.stop();
  }

  private group(name: string): WindowedStats {
    let stats = this.groups.get(name);
    if (!stats) {
      stats = createWindowedStats(this.store, `${this.prefix}:${name}`, this.options.windows, {
        cycleTime: this.options.cycleTime,
      });
      this.groups.set(name, stats);
    }
    return stats;
  }
}
