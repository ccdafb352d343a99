import {
  getBitmapCounter,
  getCounter,
  getHllCounter,
  getRollingTimeWindow,
  getTimeWindow,
  getUniqueCounter,
} from './factories.js';
import { STATS_TIME_NAMES } from './times.js';

/** The original's `StatsCollector` class in one object: the window constants and the factories. */
export const StatsCollector = {
  ...STATS_TIME_NAMES,
  getTimeWindow,
  getRollingTimeWindow,
  getCounter,
  getUniqueCounter,
  getHllCounter,
  getBitmapCounter,
} as const;
