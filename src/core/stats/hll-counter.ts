import type { Arg, Pipeline } from '../store/types.js';
import {
  requireItem,
  StatsCounter,
  steppedDefaults,
  type StatsItem,
  type SteppedCounterOptions,
} from './base-counter.js';

/** Approximate count of distinct items (about 1 % error, 12 kB at most): a HyperLogLog. */
export class HyperLogLogCounter extends StatsCounter {
  constructor(options: SteppedCounterOptions) {
    super('hyperloglog_counter', steppedDefaults(options));
  }

  queueIncrement(pipe: Pipeline, item?: StatsItem): void {
    pipe.call('PFADD', this.getKey(), requireItem(item, 'HyperLogLogCounter'));
  }

  override queueIncrementMany(pipe: Pipeline, items: readonly StatsItem[]): void {
    if (items.length > 0) {
      pipe.call('PFADD', this.getKey(), ...items.map((i) => requireItem(i, 'HyperLogLogCounter')));
    }
  }

  protected valueCommand(key: string): [string, ...Arg[]] {
    return ['PFCOUNT', key];
  }
}
