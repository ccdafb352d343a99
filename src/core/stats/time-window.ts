import type { Arg, Pipeline } from '../store/types.js';
import { StatsCounter, steppedDefaults, type StatsItem, type SteppedCounterOptions } from './base-counter.js';
import { hitEntries } from './keys.js';

/**
 * Hits within fixed windows (9:00-10:00, 10:00-11:00, ...): a ZSET per window, one member per hit with
 * the hit's timestamp as score. Hits outside the window are ignored unless the counter rolls.
 */
export class TimeWindow extends StatsCounter {
  constructor(options: SteppedCounterOptions) {
    super('time_window_counter', steppedDefaults(options));
    if (this.window === null) throw new RangeError('a TimeWindow needs a window');
  }

  queueIncrement(pipe: Pipeline): void {
    this.queueHits(pipe, 1);
  }

  /** One ZADD for all the hits; the items themselves are not stored. */
  override queueIncrementMany(pipe: Pipeline, items: readonly StatsItem[]): void {
    this.queueHits(pipe, items.length);
  }

  private queueHits(pipe: Pipeline, count: number): void {
    const now = this.clock();
    const key = this.keyAt(now);
    if (count > 0 && now - this.startTime! < this.window!) pipe.call('ZADD', key, ...hitEntries(now, count));
  }

  protected valueCommand(key: string): [string, ...Arg[]] {
    return ['ZCARD', key];
  }

  /** Drops hits outside the current window, with the original's bounds. */
  protected override queueExpire(pipe: Pipeline, now: number): void {
    const key = this.keyAt(now);
    const start = this.startTime!;
    pipe.call('ZREMRANGEBYSCORE', key, '-inf', start - 1);
    pipe.call('ZREMRANGEBYSCORE', key, start + this.window!, 'inf');
  }
}
