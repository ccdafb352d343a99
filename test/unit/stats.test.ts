import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/core/store/index.js';
import {
  SECONDS_15_MINUTE,
  SECONDS_1_HOUR,
  SECONDS_1_WEEK,
  SECONDS_30_DAY,
  StatsCollector,
  StatsScheduler,
  alignWindowStart,
  formatWindowDate,
  getBitmapCounter,
  getCounter,
  getHllCounter,
  getTimeWindow,
  getUniqueCounter,
  rolledKey,
  statsTimes,
} from '../../src/core/stats/index.js';
import { formatTimestamp, rolledKeyPattern, uniqueMember } from '../../src/core/stats/keys.js';

const scheduler = new StatsScheduler();
afterEach(() => scheduler.stopAll());

describe('stats time constants', () => {
  it('match the original StatsCollector', () => {
    expect(StatsCollector).toMatchObject({
      SECONDS_1_MINUTE: 60,
      SECONDS_15_MINUTE: 900,
      SECONDS_30_MINUTE: 1800,
      SECONDS_1_HOUR: 3600,
      SECONDS_2_HOUR: 7200,
      SECONDS_4_HOUR: 14400,
      SECONDS_6_HOUR: 21600,
      SECONDS_12_HOUR: 43200,
      SECONDS_24_HOUR: 86400,
      SECONDS_48_HOUR: 172800,
      SECONDS_1_DAY: 86400,
      SECONDS_2_DAY: 172800,
      SECONDS_3_DAY: 259200,
      SECONDS_7_DAY: 604800,
      SECONDS_1_WEEK: 604800,
      SECONDS_30_DAY: 2592000,
    });
    expect([SECONDS_15_MINUTE, SECONDS_1_HOUR, SECONDS_1_WEEK, SECONDS_30_DAY]).toEqual([
      900, 3600, 604800, 2592000,
    ]);
    expect(typeof StatsCollector.getRollingTimeWindow).toBe('function');
  });
});

describe('statsTimes', () => {
  it('maps setting names to seconds in order and reports unknown names', () => {
    const unknown: string[] = [];
    expect(
      statsTimes(['SECONDS_15_MINUTE', 'SECONDS_1_HOUR', 'SECONDS_DUMB'], (name) => unknown.push(name)),
    ).toEqual([900, 3600]);
    expect(unknown).toEqual(['SECONDS_DUMB']);
  });

  it('returns nothing for an empty list and merges aliases of one window', () => {
    expect(statsTimes([])).toEqual([]);
    expect(statsTimes(['SECONDS_1_DAY', 'SECONDS_24_HOUR', 'SECONDS_6_HOUR'])).toEqual([86400, 21600]);
  });

  it('does not resolve inherited property names', () => {
    const unknown: string[] = [];
    expect(statsTimes(['toString', 'constructor'], (n) => unknown.push(n))).toEqual([]);
    expect(unknown).toEqual(['toString', 'constructor']);
  });
});

describe('stats key formatting', () => {
  it('formats the window start in UTC as %Y-%m-%d_%H:%M:%S', () => {
    expect(formatWindowDate(1442671176)).toBe('2015-09-19_13:59:36');
    expect(formatWindowDate(1442671176.9)).toBe('2015-09-19_13:59:36');
    expect(formatWindowDate(0)).toBe('1970-01-01_00:00:00');
    expect(rolledKey('myKey', 1442671176)).toBe('myKey:2015-09-19_13:59:36');
  });

  it('aligns window starts to whole multiples of the window', () => {
    expect(alignWindowStart(1442671176.7, 3600)).toBe(1442667600);
    expect(alignWindowStart(1442671176.7, 900)).toBe(1442670300);
    expect(alignWindowStart(1442671176.7, 1)).toBe(1442671176);
  });

  it('uses a fixed clock for rolled keys and their alignment', () => {
    const store = new MemoryStore();
    const clock = () => 1454266923.4; // 2016-01-31 19:02:03 UTC
    expect(getCounter({ store, scheduler, clock }).getKey()).toBe('counter:2016-01-31_19:00:00');
    expect(getTimeWindow({ store, scheduler, clock, window: SECONDS_15_MINUTE }).getKey()).toBe(
      'time_window_counter:2016-01-31_19:00:00',
    );
    expect(getUniqueCounter({ store, scheduler, clock, window: 60 }).getKey()).toBe(
      'unique_counter:2016-01-31_19:02:00',
    );
    expect(getHllCounter({ store, scheduler, clock, key: 'h', roll: false }).getKey()).toBe('h');
    // No window: never rolled, whatever `roll` says.
    expect(getBitmapCounter({ store, scheduler, clock, window: null, roll: true }).getKey()).toBe(
      'bitmap_counter',
    );
  });

  it('prints timestamps like Python floats and makes every member unique', () => {
    expect(formatTimestamp(1442671176)).toBe('1442671176.0');
    expect(formatTimestamp(1442671176.25)).toBe('1442671176.25');
    const a = uniqueMember(1442671176.25);
    const b = uniqueMember(1442671176.25);
    expect(a).not.toBe(b);
    expect(a.startsWith('1442671176.25:')).toBe(true);
  });

  it('escapes glob and regex characters in the retention pattern', () => {
    const { glob, exact } = rolledKeyPattern('stats:a*b?[c]');
    expect(glob).toBe('stats:a\\*b\\?\\[c\\]:*');
    expect(exact.test('stats:a*b?[c]:2015-09-19_13:59:36')).toBe(true);
    expect(exact.test('stats:aXbY[c]:2015-09-19_13:59:36')).toBe(false);
    expect(exact.test('stats:a*b?[c]:other')).toBe(false);
  });
});

describe('StatsScheduler timers', () => {
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

  it("uses one unref'd timer per cycle time, never keeping the process alive", () => {
    const store = new MemoryStore();
    const local = new StatsScheduler();
    const before = timers();
    const a = getCounter({ store, scheduler: local, cycleTime: 1 });
    getCounter({ store, scheduler: local, cycleTime: 1 });
    getCounter({ store, scheduler: local, cycleTime: 0.5 });
    expect(local.cycleTimes.sort()).toEqual([0.5, 1]);
    expect(timers()).toBe(before);
    a.stop();
    expect(local.size).toBe(2);
    local.stopAll();
    expect(local.cycleTimes).toEqual([]);
  });
});

describe('stats counter arguments', () => {
  const store = new MemoryStore();

  it('rejects items a counter cannot count', async () => {
    await expect(getUniqueCounter({ store, scheduler }).increment()).rejects.toThrow(TypeError);
    await expect(getHllCounter({ store, scheduler }).increment()).rejects.toThrow(TypeError);
    await expect(getBitmapCounter({ store, scheduler }).increment(-1)).rejects.toThrow(RangeError);
    await expect(getBitmapCounter({ store, scheduler }).increment(1.5)).rejects.toThrow(RangeError);
  });

  it('rejects bad windows and cycle times', () => {
    expect(() => getCounter({ store, scheduler, window: 0 })).toThrow(RangeError);
    expect(() => getCounter({ store, scheduler, cycleTime: 0 })).toThrow(RangeError);
    expect(() => getTimeWindow({ store, scheduler, window: null })).toThrow(RangeError);
  });

  it('keeps retention only for rolling counters', () => {
    expect(getCounter({ store, scheduler }).keepMax).toBe(12);
    expect(getCounter({ store, scheduler, roll: false }).keepMax).toBeNull();
    expect(getCounter({ store, scheduler, keepMax: 0 }).keepMax).toBeNull();
  });
});
