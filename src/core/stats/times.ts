/** Window lengths in seconds, named as in the original StatsCollector (some are aliases of others). */
export const SECONDS_1_MINUTE = 60;
export const SECONDS_15_MINUTE = SECONDS_1_MINUTE * 15;
export const SECONDS_30_MINUTE = SECONDS_1_MINUTE * 30;
export const SECONDS_1_HOUR = SECONDS_1_MINUTE * 60;
export const SECONDS_2_HOUR = SECONDS_1_HOUR * 2;
export const SECONDS_4_HOUR = SECONDS_1_HOUR * 4;
export const SECONDS_6_HOUR = SECONDS_1_HOUR * 6;
export const SECONDS_12_HOUR = SECONDS_1_HOUR * 12;
export const SECONDS_24_HOUR = SECONDS_1_HOUR * 24;
export const SECONDS_48_HOUR = SECONDS_1_HOUR * 48;
export const SECONDS_1_DAY = SECONDS_24_HOUR;
export const SECONDS_2_DAY = SECONDS_1_DAY * 2;
export const SECONDS_3_DAY = SECONDS_1_DAY * 3;
export const SECONDS_7_DAY = SECONDS_1_DAY * 7;
export const SECONDS_1_WEEK = SECONDS_7_DAY;
export const SECONDS_30_DAY = SECONDS_1_DAY * 30;

/** Every named window, keyed by the name a `STATS_TIMES` setting lists. */
export const STATS_TIME_NAMES = {
  SECONDS_1_MINUTE,
  SECONDS_15_MINUTE,
  SECONDS_30_MINUTE,
  SECONDS_1_HOUR,
  SECONDS_2_HOUR,
  SECONDS_4_HOUR,
  SECONDS_6_HOUR,
  SECONDS_12_HOUR,
  SECONDS_24_HOUR,
  SECONDS_48_HOUR,
  SECONDS_1_DAY,
  SECONDS_2_DAY,
  SECONDS_3_DAY,
  SECONDS_7_DAY,
  SECONDS_1_WEEK,
  SECONDS_30_DAY,
} as const;

export type StatsTimeName = keyof typeof STATS_TIME_NAMES;

export function isStatsTimeName(name: string): name is StatsTimeName {
  return Object.hasOwn(STATS_TIME_NAMES, name);
}

/**
 * Maps `STATS_TIMES` entries to seconds, in order and without duplicates (aliases such as SECONDS_1_DAY
 * and SECONDS_24_HOUR name one window, as the originals' dict keyed by seconds has it). Unknown names
 * are skipped and reported through `onUnknown`, where components log "Unable to find Stats Time '<name>'".
 */
export function statsTimes(names: readonly string[], onUnknown?: (name: string) => void): number[] {
  const out: number[] = [];
  for (const name of names) {
    if (!isStatsTimeName(name)) onUnknown?.(name);
    else if (!out.includes(STATS_TIME_NAMES[name])) out.push(STATS_TIME_NAMES[name]);
  }
  return out;
}
