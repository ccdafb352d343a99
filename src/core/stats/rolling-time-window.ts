import type { Arg, Pipeline } from '../store/types.js';
import { StatsCounter, type CounterOptions, type StatsItem } from './base-counter.js';
import { hitEntries } from './keys.js';
import { SECONDS_1_HOUR } from './times.js';

export interface RollingTimeWindowOptions extends CounterOptions {
  /** How many seconds behind now to count. */
  window?: number;
}

/**
 * Hits in the last `window` seconds: one ZSET at `key` (never rolled), one member per hit scored by its
 * timestamp, pruned every cycle. The `<prefix>:<window>` stats of every component are these.
 */
export class RollingTimeWindow extends StatsCounter {
  constructor(options: RollingTimeWindowOptions) {
    super('rolling_time_window_counter', {
      ...options,
      window: options.window ?? SECONDS_1_HOUR,
      roll: false,
    });
  }

  queueIncrement(pipe: Pipeline): void {
    pipe.call('ZADD', this.key, ...hitEntries(this.clock(), 1));
  }

  /** One ZADD for all the hits; the items themselves are not stored. */
  override queueIncrementMany(pipe: Pipeline, items: readonly StatsItem[]): void {
    if (items.length > 0) pipe.call('ZADD', this.key, ...hitEntries(this.clock(), items.length));
  }

  protected valueCommand(key: string): [string, ...Arg[]] {
    return ['ZCARD', key];
  }

  protected override queueExpire(pipe: Pipeline, now: number): void {
    pipe.call('ZREMRANGEBYSCORE', this.key, '-inf', now - this.window!);
  }
}
