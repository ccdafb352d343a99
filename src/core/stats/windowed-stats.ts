import type { Pipeline, Store } from '../store/types.js';
import { execChecked, type BulkIncrementable, type StatsCounter, type StatsItem } from './base-counter.js';
import { readValues } from './batch.js';
import { HyperLogLogCounter } from './hll-counter.js';
import { uniqueMember } from './keys.js';
import { RollingTimeWindow } from './rolling-time-window.js';
import type { StatsScheduler } from './scheduler.js';
import { windowedHits } from './scripts.js';

export interface WindowedStatsOptions {
  cycleTime?: number;
  scheduler?: StatsScheduler;
  /** Seconds since the epoch (float). */
  clock?: () => number;
}

/**
 * The components' stats pattern: a RollingTimeWindow at `<prefix>:<window>` per window plus a lifetime
 * HyperLogLog at `<prefix>:lifetime`, all incremented together in one pipeline.
 */
export class WindowedStats implements BulkIncrementable {
  readonly windows: ReadonlyMap<number, RollingTimeWindow>;
  readonly lifetime: HyperLogLogCounter;
  private readonly clock: () => number;
  private readonly windowKeys: string[];

  constructor(
    readonly store: Store,
    readonly prefix: string,
    windows: readonly number[],
    options: WindowedStatsOptions = {},
  ) {
    const common = {
      store,
      cycleTime: options.cycleTime,
      scheduler: options.scheduler,
      clock: options.clock,
    };
    this.clock = options.clock ?? ((): number => Date.now() / 1000);
    const map = new Map<number, RollingTimeWindow>();
    for (const window of windows) {
      if (!map.has(window))
        map.set(window, new RollingTimeWindow({ ...common, key: `${prefix}:${window}`, window }));
    }
    this.windows = map;
    this.windowKeys = [...map.values()].map((w) => w.key);
    this.lifetime = new HyperLogLogCounter({ ...common, key: `${prefix}:lifetime`, roll: false });
  }

  get counters(): StatsCounter[] {
    return [...this.windows.values(), this.lifetime];
  }

  /**
   * Adds one hit to every window and to the lifetime count. The lifetime element is `item` followed by
   * a unique timestamp, as the originals add payload + time, so distinct hits stay distinct.
   */
  queueIncrement(pipe: Pipeline, item?: StatsItem): void {
    for (const w of this.windows.values()) w.queueIncrement(pipe);
    this.lifetime.queueIncrement(pipe, `${item ?? ''}${uniqueMember(this.clock())}`);
  }

  /**
   * Adds one hit per item to every window and to the lifetime count in one script call whose arguments
   * do not grow with the hits (see windowed-hits.lua): the members are made in Redis from a prefix unique
   * to the call. The items themselves are not stored (readers count members and prune by score), and
   * each hit is a distinct lifetime element, as with queueIncrement.
   */
  queueIncrementMany(pipe: Pipeline, items: readonly StatsItem[]): void {
    if (items.length === 0) return;
    const now = this.clock();
    const keys = [...this.windowKeys, this.lifetime.getKey()];
    pipe.run(windowedHits, keys, [this.windowKeys.length, now, `${uniqueMember(now)}-`, items.length]);
  }

  async increment(item?: StatsItem): Promise<void> {
    const pipe = this.store.pipeline();
    this.queueIncrement(pipe, item);
    await execChecked(pipe);
  }

  /** Current values keyed as the stats replies name them: `'900'`, `'3600'`, ..., `'lifetime'`. */
  async values(): Promise<Record<string, number>> {
    const counters = this.counters;
    const values = await readValues(counters);
    const out: Record<string, number> = {};
    [...this.windows.keys()].forEach((w, i) => (out[String(w)] = values[i]!));
    out.lifetime = values[counters.length - 1]!;
    return out;
  }

  /** Registers every counter with the scheduler; createWindowedStats calls it. */
  start(): this {
    for (const c of this.counters) c.start();
    return this;
  }

  /** Stops the maintenance of every counter; the keys stay. */
  stop(): void {
    for (const c of this.counters) c.stop();
  }
}

export function createWindowedStats(
  store: Store,
  prefix: string,
  windows: readonly number[],
  options: WindowedStatsOptions = {},
): WindowedStats {
  return new WindowedStats(store, prefix, windows, options).start();
}
