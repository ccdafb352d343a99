import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Pipeline, Store } from '../../src/core/store/index.js';
import {
  StatsBatch,
  StatsScheduler,
  createWindowedStats,
  getBitmapCounter,
  getCounter,
  getHllCounter,
  getRollingTimeWindow,
  getTimeWindow,
  getUniqueCounter,
  incrementAll,
  readValues,
  type MaintainedCounter,
} from '../../src/core/stats/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A clock the test moves by hand, in seconds. */
function fakeClock(t: number) {
  const clock = { t, now: () => clock.t };
  return clock;
}

/** Polls until `check` holds or `ms` pass; returns whether it held. */
async function eventually(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
}

interface Spy {
  store: Store;
  /** Commands sent outside pipelines (call, run, typed methods, scan). */
  direct: number;
  /** Size of each executed pipeline. */
  execs: number[];
}

/** Wraps a store to count round trips: direct commands and executed pipelines. */
function spyStore(inner: Store): Spy {
  const spy: Spy = { store: inner, direct: 0, execs: [] };
  spy.store = new Proxy(inner, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (prop === 'pipeline') {
        return (): Pipeline => {
          const pipe = target.pipeline();
          const exec = pipe.exec.bind(pipe);
          pipe.exec = () => {
            spy.execs.push(pipe.length);
            return exec();
          };
          return pipe;
        };
      }
      if (typeof value === 'function') {
        return (...args: unknown[]) => {
          spy.direct++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return value;
    },
  });
  return spy;
}

/** A store whose pipelines and scans fail while `broken` is set, as a Redis outage would. */
function flakyStore(inner: Store) {
  const state = { broken: true };
  const store = new Proxy(inner, {
    get(target, prop) {
      if (prop === 'pipeline') {
        return (): Pipeline => {
          const pipe = target.pipeline();
          const exec = pipe.exec.bind(pipe);
          pipe.exec = () => (state.broken ? Promise.reject(new Error('connection lost')) : exec());
          return pipe;
        };
      }
      if (prop === 'scan' && state.broken) {
        // eslint-disable-next-line require-yield
        return async function* () {
          throw new Error('connection lost');
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store, state };
}

/**
 * The stats collector against any Store: key names and Redis structures as the original writes them, the
 * original online tests' expectations, and this implementation's fixes (retention, same-instant hits,
 * batching, scheduler resilience). Most tests drive a fake clock and run maintenance by hand; a few run
 * on the real clock to exercise the scheduler's timers.
 */
export function statsContract(name: string, open: () => Promise<Store>): void {
  describe(`Stats collector: ${name}`, () => {
    let store: Store;
    let scheduler: StatsScheduler;
    const p = `statstest:${randomUUID().slice(0, 8)}`;
    let n = 0;
    /** A fresh key per test, so tests never see each other's keys. */
    const key = (label: string) => `${p}:${++n}:${label}`;

    async function keysMatching(pattern: string): Promise<string[]> {
      const out = new Set<string>();
      for await (const keys of store.scan(pattern)) for (const k of keys) out.add(k);
      return [...out].sort();
    }

    beforeAll(async () => {
      store = await open();
    });
    afterEach(() => {
      scheduler?.stopAll();
      scheduler = new StatsScheduler();
    });
    afterAll(async () => {
      scheduler.stopAll();
      for (const k of await keysMatching(`${p}:*`)) await store.del(k);
      await store.close();
    });
    scheduler = new StatsScheduler();

    it('names rolled keys after the UTC window start and plain keys after the key', async () => {
      const clock = fakeClock(1442671177);
      const c = getCounter({
        store,
        scheduler,
        key: 'myKey',
        startTime: 1442671176,
        window: 5,
        clock: clock.now,
      });
      expect(c.getKey()).toBe('myKey:2015-09-19_13:59:36');
      const plain = getCounter({ store, scheduler, key: 'myKey', roll: false, clock: clock.now });
      expect(plain.getKey()).toBe('myKey');
      // Without a start time the window is aligned: 13:59:37 in a one-hour window starts at 13:00:00.
      expect(getCounter({ store, scheduler, clock: clock.now }).getKey()).toBe('counter:2015-09-19_13:00:00');
      expect(getTimeWindow({ store, scheduler, window: 900, clock: clock.now }).getKey()).toBe(
        'time_window_counter:2015-09-19_13:45:00',
      );
      expect(getRollingTimeWindow({ store, scheduler }).getKey()).toBe('rolling_time_window_counter');
      expect(getUniqueCounter({ store, scheduler, roll: false }).getKey()).toBe('unique_counter');
      expect(getHllCounter({ store, scheduler, roll: false }).getKey()).toBe('hyperloglog_counter');
      expect(getBitmapCounter({ store, scheduler, roll: false }).getKey()).toBe('bitmap_counter');
      // The key rolls as soon as the window has passed, even before the scheduler runs.
      clock.t = 1442671181;
      expect(c.getKey()).toBe('myKey:2015-09-19_13:59:41');
      // Nothing was written.
      expect(await store.exists('myKey:2015-09-19_13:59:36')).toBe(false);
    });

    it('TimeWindow counts hits inside its window and ignores later ones when not rolling', async () => {
      const clock = fakeClock(1_700_000_000.25);
      const c = getTimeWindow({ store, scheduler, key: key('tw'), window: 1, roll: false, clock: clock.now });
      await c.increment();
      await c.increment();
      await c.increment();
      clock.t += 1.1;
      await c.increment();
      await scheduler.runNow();
      expect(await c.value()).toBe(3);
      expect(await store.type(c.getKey())).toBe('zset');
      const members = await store.zrangeWithScores(c.getKey(), 0, -1);
      expect(members.every((m) => m.score === 1_700_000_000.25 && m.member.startsWith('1700000000.25'))).toBe(
        true,
      );
    });

    it('TimeWindow rolls to a new key per window', async () => {
      const clock = fakeClock(1_700_000_000.5);
      const k = key('twroll');
      const c = getTimeWindow({ store, scheduler, key: k, window: 1, roll: true, clock: clock.now });
      await c.increment();
      await c.increment();
      await c.increment();
      clock.t += 1.5;
      await c.increment();
      await c.increment();
      await scheduler.runNow();
      const keys = await keysMatching(`${k}:*`);
      expect(keys).toEqual([`${k}:2023-11-14_22:13:20`, `${k}:2023-11-14_22:13:22`]);
      expect(await store.zcard(keys[0]!)).toBe(3);
      expect(await c.value()).toBe(2);
    });

    it('TimeWindow expiry drops hits outside the window', async () => {
      const clock = fakeClock(1_700_000_000);
      const c = getTimeWindow({
        store,
        scheduler,
        key: key('twexp'),
        window: 10,
        roll: false,
        clock: clock.now,
      });
      await store.zadd(c.getKey(), [
        { member: 'old', score: 1_699_999_998 },
        { member: 'late', score: 1_700_000_010 },
        { member: 'in', score: 1_700_000_005 },
      ]);
      await scheduler.runNow();
      expect(await store.zrange(c.getKey(), 0, -1)).toEqual(['in']);
    });

    it('RollingTimeWindow counts the last window: 3, then 0 after the window, then 1', async () => {
      const clock = fakeClock(1_700_000_000);
      const c = getRollingTimeWindow({ store, scheduler, key: key('rtw'), window: 5, clock: clock.now });
      await c.increment();
      await c.increment();
      clock.t += 3;
      await c.increment();
      await c.increment();
      clock.t += 3;
      await scheduler.runNow();
      // the first two hits are now older than the window
      await c.increment();
      expect(await c.value()).toBe(3);
      clock.t += 5.1;
      await scheduler.runNow();
      expect(await c.value()).toBe(0);
      await c.increment();
      expect(await c.value()).toBe(1);
      expect(c.getKey()).toBe(c.key);
      expect(await store.type(c.key)).toBe('zset');
      const [hit] = await store.zrangeWithScores(c.key, 0, -1);
      expect(hit?.score).toBe(clock.t);
    });

    it('RollingTimeWindow is pruned by the scheduler on the real clock', async () => {
      const c = getRollingTimeWindow({ store, scheduler, key: key('rtwreal'), window: 1, cycleTime: 0.05 });
      await c.increment();
      await c.increment();
      expect(await c.value()).toBe(2);
      expect(await eventually(async () => (await c.value()) === 0, 3000)).toBe(true);
      await c.increment();
      expect(await c.value()).toBe(1);
    });

    it('counts hits at the same instant separately (rolling and fixed windows)', async () => {
      const clock = fakeClock(1_700_000_000.125);
      const rolling = getRollingTimeWindow({
        store,
        scheduler,
        key: key('same'),
        window: 60,
        clock: clock.now,
      });
      // A second process writing the same key at the same instant.
      const other = getRollingTimeWindow({
        store,
        scheduler,
        key: rolling.key,
        window: 60,
        clock: clock.now,
      });
      await rolling.increment();
      await rolling.increment();
      await other.increment();
      expect(await rolling.value()).toBe(3);
      const scores = await store.zrangeWithScores(rolling.key, 0, -1);
      expect(scores.map((s) => s.score)).toEqual([1_700_000_000.125, 1_700_000_000.125, 1_700_000_000.125]);

      const fixed = getTimeWindow({ store, scheduler, key: key('samefixed'), window: 60, clock: clock.now });
      await incrementAll([fixed, fixed]);
      expect(await fixed.value()).toBe(2);
    });

    it('Counter counts from startAt, atomically, without resetting another instance', async () => {
      const k = key('counter');
      const c = getCounter({ store, scheduler, key: k, roll: false });
      await c.increment();
      await Promise.all(Array.from({ length: 9999 }, () => c.increment()));
      expect(await c.value()).toBe(10000);

      const k2 = key('counterstart');
      const a = getCounter({ store, scheduler, key: k2, roll: false, startAt: 10 });
      expect(await a.value()).toBe(0);
      for (let i = 0; i < 5; i++) await a.increment();
      expect(await a.value()).toBe(15);
      const b = getCounter({ store, scheduler, key: k2, roll: false, startAt: 10 });
      await b.increment();
      expect(await a.value()).toBe(16);
      expect(await store.type(k2)).toBe('string');
      expect(await store.get(k2)).toBe('16');
    });

    it('rolled Counter starts each window afresh (100, then 50), from startAt', async () => {
      const clock = fakeClock(1_700_000_000);
      const k = key('counterroll');
      const c = getCounter({ store, scheduler, key: k, window: 2, cycleTime: 0.1, clock: clock.now });
      await incrementAll(Array.from({ length: 100 }, () => c));
      expect(await c.value()).toBe(100);
      clock.t += 3;
      await scheduler.runNow();
      await incrementAll(Array.from({ length: 50 }, () => c));
      expect(await c.value()).toBe(50);
      expect(await keysMatching(`${k}:*`)).toHaveLength(2);

      const s = getCounter({
        store,
        scheduler,
        key: key('counterrollstart'),
        window: 2,
        startAt: 7,
        clock: clock.now,
      });
      await s.increment();
      clock.t += 2;
      await s.increment();
      expect(await s.value()).toBe(8);
    });

    it('UniqueCounter counts distinct items, per window when rolling', async () => {
      const c = getUniqueCounter({ store, scheduler, key: key('uniq'), roll: false });
      const batch = new StatsBatch();
      for (let i = 0; i < 1000; i++) batch.add(c, i % 100);
      await batch.flush();
      expect(await c.value()).toBe(100);
      expect(await store.type(c.getKey())).toBe('set');

      const clock = fakeClock(1_700_000_000);
      const r = getUniqueCounter({ store, scheduler, key: key('uniqroll'), window: 2, clock: clock.now });
      for (let i = 0; i < 100; i++) batch.add(r, i % 10);
      await batch.flush();
      expect(await r.value()).toBe(10);
      clock.t += 3;
      for (let i = 0; i < 50; i++) batch.add(r, i % 10);
      await batch.flush();
      expect(await r.value()).toBe(10);
      expect(await keysMatching(`${r.key}:*`)).toHaveLength(2);
    });

    it('HyperLogLogCounter is within 2 % of the distinct count', async () => {
      const percentDiff = (value: number, actual: number) =>
        (Math.abs(actual - value) / ((value + actual) / 2)) * 100;
      const c = getHllCounter({ store, scheduler, key: key('hll'), roll: false });
      for (let round = 0; round < 3; round++) {
        const batch = new StatsBatch();
        for (let i = 0; i < 10010 * (round + 1); i++) batch.add(c, i % (5000 * (round + 1)));
        await batch.flush();
        expect(percentDiff(5000 * (round + 1), await c.value())).toBeLessThanOrEqual(2);
        await c.deleteKey();
      }
      expect(await store.exists(c.getKey())).toBe(false);

      const clock = fakeClock(1_700_000_000);
      const r = getHllCounter({ store, scheduler, key: key('hllroll'), window: 5, clock: clock.now });
      let batch = new StatsBatch();
      for (let i = 0; i < 5010; i++) batch.add(r, i % 1010);
      await batch.flush();
      expect(percentDiff(1010, await r.value())).toBeLessThanOrEqual(2);
      clock.t += 5;
      batch = new StatsBatch();
      for (let i = 0; i < 5010; i++) batch.add(r, i % 3010);
      await batch.flush();
      expect(percentDiff(3010, await r.value())).toBeLessThanOrEqual(2);
      expect(await keysMatching(`${r.key}:*`)).toHaveLength(2);
    });

    it('BitmapCounter counts set bits, per window when rolling', async () => {
      const c = getBitmapCounter({ store, scheduler, key: key('bits'), roll: false });
      for (const i of [0, 1, 5, 0]) await c.increment(i);
      expect(await c.value()).toBe(3);
      expect(await store.type(c.getKey())).toBe('string');

      const clock = fakeClock(1_700_000_000);
      const r = getBitmapCounter({ store, scheduler, key: key('bitsroll'), window: 2, clock: clock.now });
      for (const i of [0, 1, 0]) await r.increment(i);
      expect(await r.value()).toBe(2);
      clock.t += 3;
      await r.increment(0);
      expect(await r.value()).toBe(1);
    });

    it('keepMax keeps only the newest rolled keys and nothing else', async () => {
      const clock = fakeClock(1_700_000_000);
      const k = key('keep');
      const c = getCounter({ store, scheduler, key: k, window: 1, keepMax: 2, clock: clock.now });
      // Keys that share the prefix but are not this counter's windows must survive.
      await store.set(`${k}:other`, 'x');
      await store.set(`${k}:sub:2023-11-14_22:13:20`, 'x');
      for (let i = 0; i < 5; i++) {
        await c.increment();
        clock.t += 1;
      }
      // Retention runs after the roll to 22:13:25; the current window counts as one of the two kept.
      await scheduler.runNow();
      expect(c.getKey()).toBe(`${k}:2023-11-14_22:13:25`);
      expect(await keysMatching(`${k}:*`)).toEqual([
        `${k}:2023-11-14_22:13:24`,
        `${k}:other`,
        `${k}:sub:2023-11-14_22:13:20`,
      ]);
      await c.increment();
      clock.t += 1;
      await c.increment();
      await scheduler.runNow();
      expect(await keysMatching(`${k}:2*`)).toEqual([`${k}:2023-11-14_22:13:25`, `${k}:2023-11-14_22:13:26`]);

      // A new process finds the keys its predecessors left and trims them at its first cycle.
      await store.set(`${k}:2023-11-14_22:13:00`, '1');
      const next = getCounter({ store, scheduler, key: k, window: 1, keepMax: 2, clock: clock.now });
      c.stop();
      await scheduler.runNow();
      expect(await keysMatching(`${k}:2*`)).toEqual([`${k}:2023-11-14_22:13:25`, `${k}:2023-11-14_22:13:26`]);
      // Nothing rolled since: no further SCAN.
      const spy = spyStore(store);
      const watched = getCounter({
        store: spy.store,
        scheduler,
        key: k,
        window: 1,
        keepMax: 2,
        clock: clock.now,
      });
      next.stop();
      await scheduler.runNow();
      const afterFirst = spy.direct;
      expect(afterFirst).toBeGreaterThan(0);
      await scheduler.runNow();
      expect(spy.direct).toBe(afterFirst);
      watched.stop();
    });

    it('increments a batch of counters in one pipeline round trip', async () => {
      const spy = spyStore(store);
      const windows = [900, 3600, 21600, 43200, 86400, 604800];
      const total = createWindowedStats(spy.store, key('total'), windows, { scheduler });
      const plugin = createWindowedStats(spy.store, key('plugin'), windows, { scheduler });

      await total.increment('message');
      expect(spy.execs).toEqual([7]);
      expect(spy.direct).toBe(0);

      await new StatsBatch().add(total, 'm1').add(plugin, 'm1').flush();
      expect(spy.execs).toEqual([7, 14]);

      const counters = [...total.counters, ...plugin.counters];
      await incrementAll(counters, 'm2');
      expect(spy.execs).toEqual([7, 14, 14]);
      expect(await readValues(counters)).toEqual(Array.from({ length: 14 }, (_, i) => (i < 7 ? 3 : 2)));
      expect(spy.execs).toEqual([7, 14, 14, 14]);
      expect(spy.direct).toBe(0);

      // Maintenance of all 14 counters is one pipeline too (plus nothing else: no retention on these).
      spy.execs.length = 0;
      await scheduler.runNow();
      expect(spy.execs).toEqual([12]);
      expect(spy.direct).toBe(0);
    });

    it('increments many hits with one command per key, one script call for all keys of windowed stats', async () => {
      const spy = spyStore(store);
      const clock = fakeClock(1_700_000_000);
      const opts = { store: spy.store, scheduler, clock: clock.now };
      const stats = createWindowedStats(spy.store, key('bulk'), [60, 3600], { scheduler, clock: clock.now });
      const counter = getCounter({ ...opts, key: key('bulkcount'), startAt: 3 });
      const unique = getUniqueCounter({ ...opts, key: key('bulkuniq') });
      const hll = getHllCounter({ ...opts, key: key('bulkhll') });
      const fixed = getTimeWindow({ ...opts, key: key('bulkfixed') });
      const items = ['a', 'b', 'a', 'c', 'a'];
      await new StatsBatch()
        .addMany(stats, items)
        .addMany(counter, items)
        .addMany(unique, items)
        .addMany(hll, items)
        .addMany(fixed, items)
        .addMany(stats, [])
        .flush();
      // The windowed stats' two windows and lifetime HyperLogLog take one call; the rest one each.
      expect(spy.execs).toEqual([5]);
      expect(await stats.values()).toEqual({ '60': 5, '3600': 5, lifetime: 5 });
      expect(await readValues([counter, unique, hll, fixed])).toEqual([8, 3, 3, 5]);
      expect(spy.direct).toBe(0);
    });

    it('windowed stats: one rolling window per window plus a lifetime HLL', async () => {
      const clock = fakeClock(1_700_000_000);
      const prefix = key('stats:kafka-monitor:total');
      const stats = createWindowedStats(store, prefix, [2, 900, 2], { scheduler, clock: clock.now });
      expect([...stats.windows.keys()]).toEqual([2, 900]);
      expect(stats.counters.map((c) => c.getKey())).toEqual([
        `${prefix}:2`,
        `${prefix}:900`,
        `${prefix}:lifetime`,
      ]);
      // The same payload twice, even at the same instant, is two hits for the lifetime count too.
      await stats.increment('{"same":"payload"}');
      await stats.increment('{"same":"payload"}');
      expect(await stats.values()).toEqual({ '2': 2, '900': 2, lifetime: 2 });
      expect(await store.type(`${prefix}:900`)).toBe('zset');
      expect(await store.type(`${prefix}:lifetime`)).toBe('string');
      clock.t += 3;
      await scheduler.runNow();
      expect(await stats.values()).toEqual({ '2': 0, '900': 2, lifetime: 2 });
      stats.stop();
      expect(scheduler.size).toBe(0);
    });

    it('scheduler groups counters by cycle, stop() unregisters, stopAll() clears', () => {
      const a = getRollingTimeWindow({ store, scheduler, key: key('g1'), cycleTime: 1 });
      const b = getRollingTimeWindow({ store, scheduler, key: key('g2'), cycleTime: 1 });
      const c = getCounter({ store, scheduler, key: key('g3'), cycleTime: 2 });
      expect(scheduler.size).toBe(3);
      expect(scheduler.cycleTimes.sort()).toEqual([1, 2]);
      a.stop();
      expect(a.active).toBe(false);
      expect(scheduler.cycleTimes.sort()).toEqual([1, 2]);
      c.stop();
      expect(scheduler.cycleTimes).toEqual([1]);
      expect(b.active).toBe(true);
      scheduler.stopAll();
      expect(scheduler.size).toBe(0);
      expect(b.active).toBe(false);
    });

    it('scheduler survives store errors, reports them and resumes', async () => {
      const { store: flaky, state } = flakyStore(store);
      const errors: { error: Error; counter: MaintainedCounter }[] = [];
      const local = new StatsScheduler({
        onError: (error, counter) => {
          errors.push({ error, counter });
          throw new Error('a broken error handler changes nothing');
        },
      });
      try {
        const rolling = getRollingTimeWindow({
          store: flaky,
          scheduler: local,
          key: key('flaky'),
          window: 1,
          cycleTime: 0.03,
        });
        const kept = getCounter({
          store: flaky,
          scheduler: local,
          key: key('flakykeep'),
          window: 1,
          keepMax: 1,
          cycleTime: 0.03,
        });
        await store.zadd(rolling.key, [{ member: 'ancient', score: 1 }]);
        expect(await eventually(async () => errors.length >= 4, 3000)).toBe(true);
        expect(errors.every((e) => e.error.message === 'connection lost')).toBe(true);
        expect(new Set(errors.map((e) => e.counter))).toEqual(new Set([rolling, kept]));
        expect(await store.zcard(rolling.key)).toBe(1);

        state.broken = false;
        expect(await eventually(async () => (await store.zcard(rolling.key)) === 0, 3000)).toBe(true);
        await rolling.increment();
        expect(await rolling.value()).toBe(1);
      } finally {
        local.stopAll();
      }
    });

    it('reports failed commands inside a pipeline against the counter that queued them', async () => {
      const errors: MaintainedCounter[] = [];
      const local = new StatsScheduler({ onError: (_e, counter) => errors.push(counter) });
      try {
        const good = getRollingTimeWindow({ store, scheduler: local, key: key('good'), window: 1 });
        const bad = getRollingTimeWindow({ store, scheduler: local, key: key('bad'), window: 1 });
        await store.set(bad.key, 'not a zset');
        await store.zadd(good.key, [{ member: 'old', score: 1 }]);
        await local.runNow();
        expect(errors).toEqual([bad]);
        expect(await store.zcard(good.key)).toBe(0);
        await expect(bad.increment()).rejects.toThrow(/WRONGTYPE/);
      } finally {
        local.stopAll();
      }
    });

    it('deleteKey removes the current key; an unused Counter reads 0', async () => {
      const c = getUniqueCounter({ store, scheduler, key: key('del') });
      await c.increment('a');
      expect(await store.exists(c.getKey())).toBe(true);
      await c.deleteKey();
      expect(await store.exists(c.getKey())).toBe(false);
      expect(await getCounter({ store, scheduler, key: key('none') }).value()).toBe(0);
    });
  });
}
