import type { Arg, Pipeline } from '../store/types.js';
import { StatsCounter, steppedDefaults, type StatsItem, type SteppedCounterOptions } from './base-counter.js';

/** Flags per integer index (users, items...): SETBIT to mark, BITCOUNT to count the marked. */
export class BitmapCounter extends StatsCounter {
  constructor(options: SteppedCounterOptions) {
    super('bitmap_counter', steppedDefaults(options));
  }

  /** Sets the bit at `index` to 1. */
  queueIncrement(pipe: Pipeline, index?: StatsItem): void {
    const offset = Number(index);
    if (index === undefined || !Number.isInteger(offset) || offset < 0) {
      throw new RangeError(
        `BitmapCounter.increment() needs a non-negative integer index, got ${String(index)}`,
      );
    }
    pipe.call('SETBIT', this.getKey(), offset, 1);
  }

  protected valueCommand(key: string): [string, ...Arg[]] {
    return ['BITCOUNT', key];
  }
}
