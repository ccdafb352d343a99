import { randomUUID } from 'node:crypto';
import { setImmediate as tick } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/core/store/index.js';
import { RedisPriorityQueue, RedisQueue, RedisStack, type Encoding } from '../../src/core/queues/index.js';
import { RedisThrottledQueue } from '../../src/core/throttle/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** True when no closed interval of `window` seconds holds more than `limit` of the sorted times. */
function maxInAnyWindow(times: number[], window: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! > window + 1e-9) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

/**
 * Queues and the throttled queue against any store; `open` returns a new client each call (a new
 * connection for Redis, a new MemoryStore on one shared engine in memory) so concurrency is real.
 */
export function queuesContract(name: string, open: () => Promise<Store>): void {
  describe(`Queues and throttled queue: ${name}`, () => {
    let store: Store;
    const clients: Store[] = [];
    const p = `qc:${randomUUID().slice(0, 8)}:`;

    beforeAll(async () => {
      store = await open();
    });
    afterAll(async () => {
      for await (const keys of store.scan(`${p}*`)) await store.del(...keys);
      await Promise.all([store, ...clients].map((s) => s.close()));
    });

    it('pops a RedisQueue first in first out and a RedisStack last in first out', async () => {
      const q = new RedisQueue<string>(store, `${p}fifo`);
      const s = new RedisStack<string>(store, `${p}lifo`);
      for (const item of ['item1', 'item2', 'item3']) {
        await q.push(item);
        await s.push(item);
      }
      expect(await q.length()).toBe(3);
      expect([await q.pop(), await q.pop(), await q.pop(), await q.pop()]).toEqual([
        'item1',
        'item2',
        'item3',
        null,
      ]);
      expect([await s.pop(), await s.pop(), await s.pop()]).toEqual(['item3', 'item2', 'item1']);
      await q.push('x');
      await q.clear();
      expect(await q.length()).toBe(0);
    });

    it('waits for an item when popped with a timeout', async () => {
      const q = new RedisQueue<{ n: number }>(store, `${p}blocking`);
      const waiting = q.pop(3);
      await sleep(100);
      await q.push({ n: 1 });
      expect(await waiting).toEqual({ n: 1 });
      expect(await q.pop(1)).toBeNull();
    });

    it('pops a priority queue highest priority first, as the seed example', async () => {
      const q = new RedisPriorityQueue<string>(store, `${p}prio`);
      await q.push('item1', 50);
      await q.push('item2', 100);
      await q.push('item3', 20);
      expect([await q.pop(), await q.pop(), await q.pop(), await q.pop()]).toEqual([
        'item2',
        'item1',
        'item3',
        null,
      ]);
    });

    it('pops equal priorities in arrival order, keeping floor(score) = -priority', async () => {
      const q = new RedisPriorityQueue<string>(store, `${p}fifo-prio`);
      const names = Array.from({ length: 30 }, (_, i) => `z${String(99 - i).padStart(2, '0')}`); // reverse-lexicographic
      for (const n of names) await q.push(n, 5);
      await q.pushMany([
        { item: 'b-high', priority: 7 },
        { item: 'a-low', priority: -10 },
        { item: 'c-high', priority: 7 },
      ]);
      for (const { member, score } of await store.zrangeWithScores(q.key, 0, -1)) {
        const priority = member.includes('high') ? 7 : member.includes('low') ? -10 : 5;
        expect(Math.floor(score)).toBe(-priority);
      }
      const popped: string[] = [];
      for (let item = await q.pop(); item !== null; item = await q.pop()) popped.push(item);
      expect(popped).toEqual(['b-high', 'c-high', ...names, 'a-low']);
    });

    it('accepts any encoding with dumps and loads, and refuses anything else', async () => {
      const upper: Encoding = { dumps: (i) => String(i).toUpperCase(), loads: (t) => `<${t}>` };
      const q = new RedisQueue(store, `${p}enc`, upper);
      await q.push('abc');
      expect(await store.lrange(q.key, 0, -1)).toEqual(['ABC']);
      expect(await q.pop()).toBe('<ABC>');
      expect(() => new RedisQueue(store, `${p}enc2`, {} as Encoding)).toThrow(/dumps\(\) and loads\(\)/);
    });

    it('never pops with limit 0, and an empty queue consumes no slot', async () => {
      const zero = new RedisThrottledQueue(new RedisPriorityQueue<string>(store, `${p}zero`), {
        window: 1,
        limit: 0,
      });
      await zero.push('x', 1);
      expect(await zero.tryPop()).toMatchObject({ status: 'throttled', item: null, retryAfter: -1 });
      const empty = new RedisThrottledQueue(new RedisPriorityQueue<string>(store, `${p}empty`), {
        window: 5,
        limit: 1,
      });
      expect((await empty.tryPop()).status).toBe('empty');
      expect(await store.exists(empty.windowKey)).toBe(false);
      await empty.push('now', 1);
      expect(await empty.pop()).toBe('now');
    });

    it('allows `limit` pops per window, then throttles until the oldest hit leaves', async () => {
      const q = new RedisThrottledQueue(new RedisQueue<number>(store, `${p}window`), { window: 1, limit: 3 });
      for (let i = 0; i < 10; i++) await q.push(i);
      const first = [await q.pop(), await q.pop(), await q.pop()];
      expect(first).toEqual([0, 1, 2]);
      const denied = await q.tryPop();
      expect(denied.status).toBe('throttled');
      expect(denied.retryAfter).toBeGreaterThan(0);
      expect(denied.retryAfter).toBeLessThanOrEqual(1);
      expect(await store.zcard(q.windowKey)).toBe(3);
      const ttl = await store.ttl(q.windowKey);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(2);
      await sleep(denied.retryAfter * 1000 + 50);
      expect(await q.pop()).toBe(3);
    });

    it('spaces moderated pops window/limit apart, with custom key names', async () => {
      const q = new RedisThrottledQueue(new RedisPriorityQueue<string>(store, `${p}mod`), {
        window: 1,
        limit: 4,
        moderate: true,
        windowName: `${p}custom`,
        modName: `${p}custom`,
      });
      expect(q.windowKey).toBe(`${p}custom:throttle_window`);
      expect(q.moderateKey).toBe(`${p}custom:throttle_time`);
      expect(q.moderation).toBe(0.25);
      await q.push('a', 1);
      await q.push('b', 1);
      const ok = await q.tryPop();
      expect(ok.status).toBe('ok');
      expect(Number(await store.get(q.moderateKey))).toBeCloseTo(ok.at, 5);
      const second = await q.tryPop();
      expect(second.status).toBe('moderated');
      expect(second.retryAfter).toBeGreaterThan(0.15);
      expect(second.retryAfter).toBeLessThanOrEqual(0.25);
      await sleep(second.retryAfter * 1000 + 20);
      const third = await q.tryPop();
      expect(third.status).toBe('ok');
      expect(third.at - ok.at).toBeGreaterThanOrEqual(0.25);
    });

    it('lets an elastic queue skip the spacing to catch up once warmed up', async () => {
      const make = (elastic: boolean, key: string) =>
        new RedisThrottledQueue(new RedisQueue<number>(store, `${p}${key}`), {
          window: 1,
          limit: 2,
          moderate: true,
          elastic,
        });
      for (const elastic of [true, false]) {
        const q = make(elastic, `elastic-${elastic}`);
        for (let i = 0; i < 5; i++) await q.push(i);
        expect((await q.tryPop()).status).toBe('ok');
        await sleep(550);
        expect((await q.tryPop()).status).toBe('ok'); // warmed up: `limit` pops made
        await sleep(1100); // both hits leave the window
        expect((await q.tryPop()).status).toBe('ok');
        // Spacing says wait 0.5 s, but the window has a free slot beyond the buffer.
        expect((await q.tryPop()).status).toBe(elastic ? 'ok' : 'moderated');
      }
    });

    it('holds the limit exactly with 8 concurrent clients hammering one queue', async () => {
      const window = 1;
      const limit = 5;
      const key = `${p}hammer`;
      const seed = new RedisQueue<number>(store, key);
      for (let i = 0; i < 200; i++) await seed.push(i);
      const pops: number[] = [];
      const items: number[] = [];
      const end = Date.now() + 3200;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          const client = await open();
          clients.push(client);
          const q = new RedisThrottledQueue(new RedisQueue<number>(client, key), { window, limit });
          while (Date.now() < end) {
            const r = await q.tryPop();
            if (r.status === 'ok') {
              pops.push(r.at);
              items.push(r.item!);
            }
            await tick();
          }
        }),
      );
      expect(maxInAnyWindow(pops, window)).toBeLessThanOrEqual(limit);
      expect(pops.length).toBeGreaterThanOrEqual(limit * 3);
      expect(new Set(items).size).toBe(items.length); // no item handed out twice
    });

    it('keeps moderated spacing across 8 concurrent clients', async () => {
      const window = 1;
      const limit = 10;
      const key = `${p}hammer-mod`;
      const seed = new RedisPriorityQueue<number>(store, key);
      await seed.pushMany(Array.from({ length: 200 }, (_, i) => ({ item: i, priority: 1 })));
      const pops: number[] = [];
      const end = Date.now() + 2500;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          const client = await open();
          clients.push(client);
          const q = new RedisThrottledQueue(new RedisPriorityQueue<number>(client, key), {
            window,
            limit,
            moderate: true,
          });
          while (Date.now() < end) {
            const r = await q.tryPop();
            if (r.status === 'ok') pops.push(r.at);
            await tick();
          }
        }),
      );
      const sorted = pops.sort((a, b) => a - b);
      const gaps = sorted.slice(1).map((t, i) => t - sorted[i]!);
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(window / limit - 1e-6);
      expect(maxInAnyWindow(sorted, window)).toBeLessThanOrEqual(limit);
      expect(sorted.length).toBeGreaterThanOrEqual(15);
    });
  });
}
