import type { Arg, Pipeline, Reply } from '../store/types.js';
import { StatsCounter, steppedDefaults, type StatsItem, type SteppedCounterOptions } from './base-counter.js';
import { counterIncr } from './scripts.js';

export interface IntegerCounterOptions extends SteppedCounterOptions {
  /** The value a fresh key starts from before the first increment. */
  startAt?: number;
}

/** A plain integer counter (STRING + INCR), optionally one per rolled window. */
export class Counter extends StatsCounter {
  readonly startAt: number;

  constructor(options: IntegerCounterOptions) {
    super('counter', steppedDefaults(options));
    this.startAt = Math.trunc(options.startAt ?? 0);
  }

  queueIncrement(pipe: Pipeline): void {
    pipe.run(counterIncr, [this.getKey()], [this.startAt, 1]);
  }

  /** One INCRBY for all the hits. */
  override queueIncrementMany(pipe: Pipeline, items: readonly StatsItem[]): void {
    if (items.length > 0) pipe.run(counterIncr, [this.getKey()], [this.startAt, items.length]);
  }

  protected valueCommand(key: string): [string, ...Arg[]] {
    return ['GET', key];
  }

  /** A key never incremented reads as 0 (the original raised on `int(None)`). */
  override parseValue(reply: Reply): number {
    return reply === null ? 0 : Number.parseInt(String(reply), 10);
  }
}
