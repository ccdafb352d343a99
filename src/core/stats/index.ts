export * from './times.js';
export { formatWindowDate, rolledKey, alignWindowStart } from './keys.js';
export {
  StatsScheduler,
  defaultStatsScheduler,
  type MaintainedCounter,
  type StatsErrorHandler,
} from './scheduler.js';
export {
  StatsCounter,
  DEFAULT_CYCLE_TIME,
  DEFAULT_KEEP_MAX,
  type StatsItem,
  type Incrementable,
  type BulkIncrementable,
  type Readable,
  type CounterOptions,
  type SteppedCounterOptions,
} from './base-counter.js';
export { TimeWindow } from './time-window.js';
export { RollingTimeWindow, type RollingTimeWindowOptions } from './rolling-time-window.js';
export { Counter, type IntegerCounterOptions } from './counter.js';
export { UniqueCounter } from './unique-counter.js';
export { HyperLogLogCounter } from './hll-counter.js';
export { BitmapCounter } from './bitmap-counter.js';
export { StatsBatch, incrementAll, readValues } from './batch.js';
export { WindowedStats, createWindowedStats, type WindowedStatsOptions } from './windowed-stats.js';
export {
  getTimeWindow,
  getRollingTimeWindow,
  getCounter,
  getUniqueCounter,
  getHllCounter,
  getBitmapCounter,
} from './factories.js';
export { StatsCollector } from './collector.js';
export { ComponentStats } from './component-stats.js';
