import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/core/store/index.js';
import { crawlFinished } from '../../src/core/crawl-status/scripts.js';
import { DashboardData } from '../../src/rest/ui/data.js';

/**
 * The crawl-finished script (Lua and its memory twin) and the dashboard's reads, against any store: a crawl
 * with members queued or leased is pending, counted exactly; an empty one is idle; claiming marks it once;
 * a queue longer than the limit answers unknown; domain pages walk every queue with SCAN.
 */
export function crawlObserveContract(name: string, open: () => Promise<Store>): void {
  describe(`crawl observation: ${name}`, () => {
    let store: Store;
    const sp = `obs${randomUUID().slice(0, 6)}`;
    const keys = (crawl: string) => [
      `${sp}:leased`,
      `crawlqueues:${sp}:app:${crawl}`,
      `crawlstats:${sp}:app:${crawl}`,
      `crawlfinished:${sp}:app:${crawl}`,
    ];
    const member = (crawl: string, i: number) =>
      JSON.stringify({ url: `http://a.example/${i}`, appid: 'app', crawlid: crawl, spiderid: sp });
    const child = (crawl: string, i: number) =>
      JSON.stringify({ url: `http://a.example/c${i}`, meta: { appid: 'app', crawlid: crawl } });

    beforeAll(async () => {
      store = await open();
    });
    afterAll(async () => {
      await store.close();
    });

    it('counts queued and leased requests, claims once, and gives up on long queues', async () => {
      const queue = `${sp}:a.example:queue`;
      const other = `${sp}:b.example:queue`;
      await store.call('ZADD', queue, 1, member('c1', 1), 2, child('c1', 2), 3, member('c2', 3));
      await store.call(
        'HSET',
        `${sp}:leased`,
        'l1',
        JSON.stringify({ queue, item: member('c1', 9), owner: 'x' }),
      );
      // Recording the queues, then checking.
      expect(
        await store.run(crawlFinished, keys('c1'), ['app', 'c1', 'record', 1000, 100000, 60, queue]),
      ).toEqual(['recorded']);
      expect(await store.run(crawlFinished, keys('c1'), ['app', 'c1', 'check', 1000, 100000, 60])).toEqual([
        'pending',
        3,
      ]);
      // Done with c1: nothing queued or leased.
      await store.call('ZREM', queue, member('c1', 1), child('c1', 2));
      await store.call('HDEL', `${sp}:leased`, 'l1');
      await store.call('HINCRBY', `crawlstats:${sp}:app:c1`, 'published', 3);
      expect(
        await store.run(crawlFinished, keys('c1'), ['app', 'c1', 'check', 1000, 100000, 60, other]),
      ).toEqual(['idle']);
      expect(await store.run(crawlFinished, keys('c1'), ['app', 'c1', 'claim', 1000, 100000, 60])).toEqual([
        'finished',
        'published',
        '3',
      ]);
      expect(await store.run(crawlFinished, keys('c1'), ['app', 'c1', 'claim', 1000, 100000, 60])).toEqual([
        'announced',
      ]);
      // c2 shares a queue longer than the limit: not decided.
      await store.run(crawlFinished, keys('c2'), ['app', 'c2', 'record', 1000, 100000, 60, queue]);
      expect(await store.run(crawlFinished, keys('c2'), ['app', 'c2', 'check', 0, 100000, 60])).toEqual([
        'unknown',
      ]);
      // Within the per-queue limit but past the total budget: not decided either.
      expect(await store.run(crawlFinished, keys('c2'), ['app', 'c2', 'check', 1000, 0, 60])).toEqual([
        'unknown',
      ]);
      expect(await store.run(crawlFinished, keys('c2'), ['app', 'c2', 'check', 1000, 1, 60])).toEqual([
        'pending',
        1,
      ]);
    });

    it('pages through domain queues and reads crawls and components for the dashboard', async () => {
      const spider = `dash${randomUUID().slice(0, 6)}`;
      for (let d = 0; d < 120; d++)
        await store.call(
          'ZADD',
          `${spider}:d${d}.example:queue`,
          1,
          member('c9', d),
          2,
          member('c9', d + 1000),
        );
      const data = new DashboardData(() => store);
      try {
        const seen = new Map<string, number>();
        let cursor = '0';
        let pages = 0;
        do {
          const page = await data.domains(cursor, 25);
          for (const d of page.domains) if (d.spiderid === spider) seen.set(d.domain, d.backlog);
          cursor = page.cursor;
          pages++;
        } while (cursor !== '0' && pages < 1000);
        expect(seen.size).toBe(120);
        expect([...seen.values()].every((n) => n === 2)).toBe(true);

        const beat = `stats:crawler:host1:${spider}:0123456789ab`;
        await store.set(beat, String(Date.now() / 1000 - 3), { ex: 60 });
        await store.call('HINCRBY', `crawlstats:${spider}:app:c9`, 'published', 5);
        const components = await data.components();
        expect(components).toContainEqual({
          kind: 'crawler',
          host: 'host1',
          id: '0123456789ab',
          spider,
          age: 3,
        });
        const crawls = await data.crawls();
        const row = crawls.find((c) => c.spiderid === spider && c.crawlid === 'c9');
        expect(row).toMatchObject({ appid: 'app', published: 5, failed: 0, finished: false });
      } finally {
        data.close();
      }
    });
  });
}
