import type { Arg, Pipeline } from '../store/types.js';
import {
  requireItem,
  StatsCounter,
  steppedDefaults,
  type StatsItem,
  type SteppedCounterOptions,
} from './base-counter.js';

/** Exact count of distinct items: a SET. */
export class UniqueCounter extends StatsCounter {
  constructor(options: SteppedCounterOptions) {
    super('unique_counter', steppedDefaults(options));
  }

  queueIncrement(pipe: Pipeline, item?: StatsItem): void {
    pipe.call('SADD', this.getKey(), requireItem(item, 'UniqueCounter'));
  }

  override queueIncrementMany(pipe: Pipeline, items: readonly StatsItem[]): void {
    if (items.length > 0)
      pipe.call('SADD', this.getKey(), ...items.map((i) => requireItem(i, 'UniqueCounter')));
  }

  protected valueCommand(key: string): [string, ...Arg[]] {
    return ['SCARD', key];
  }
}
