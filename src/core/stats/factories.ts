import type { SteppedCounterOptions } from './base-counter.js';
import { BitmapCounter } from './bitmap-counter.js';
import { Counter, type IntegerCounterOptions } from './counter.js';
import { HyperLogLogCounter } from './hll-counter.js';
import { RollingTimeWindow, type RollingTimeWindowOptions } from './rolling-time-window.js';
import { TimeWindow } from './time-window.js';
import { UniqueCounter } from './unique-counter.js';

// The original's StatsCollector.get_* class methods: build the counter and start its maintenance.
// Defaults: cycleTime 5 s, window one hour, roll true, keepMax 12.

/** Hits per fixed window (key `time_window_counter` unless given). */
export function getTimeWindow(options: SteppedCounterOptions): TimeWindow {
  return new TimeWindow(options).start();
}

/** Hits in the last `window` seconds (key `rolling_time_window_counter` unless given). */
export function getRollingTimeWindow(options: RollingTimeWindowOptions): RollingTimeWindow {
  return new RollingTimeWindow(options).start();
}

/** An integer counter starting at `startAt` (key `counter` unless given). */
export function getCounter(options: IntegerCounterOptions): Counter {
  return new Counter(options).start();
}

/** Exact distinct-item counter (key `unique_counter` unless given). */
export function getUniqueCounter(options: SteppedCounterOptions): UniqueCounter {
  return new UniqueCounter(options).start();
}

/** Approximate distinct-item counter (key `hyperloglog_counter` unless given). */
export function getHllCounter(options: SteppedCounterOptions): HyperLogLogCounter {
  return new HyperLogLogCounter(options).start();
}

/** Bit flags by index (key `bitmap_counter` unless given). */
export function getBitmapCounter(options: SteppedCounterOptions): BitmapCounter {
  return new BitmapCounter(options).start();
}
