import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/core/store/index.js';
import { CrawlQueues } from '../../src/redis-monitor/crawl/queues.js';
import { jobDone, jobFailed } from '../../src/redis-monitor/scripts.js';

/** A flat crawl request as the Kafka Monitor queues it. */
export function feedMember(
  appid: string,
  crawlid: string,
  url: string,
  priority: number,
  expires = 0,
): string {
  return JSON.stringify({
    url,
    appid,
    crawlid,
    priority,
    expires,
    spiderid: 'link',
    maxdepth: 1,
    attrs: null,
    ts: 1700000000.25,
  });
}

/** A serialized request as a crawler re-queues it: the crawl fields live in `meta`. */
export function requestMember(
  appid: string,
  crawlid: string,
  url: string,
  priority: number,
  expires = 0,
): string {
  return JSON.stringify({
    url,
    callback: 'parse',
    errback: null,
    method: 'GET',
    headers: { 'User-Agent': ['Scrapy'] },
    body: '',
    cookies: {},
    meta: { appid, crawlid, url: 'http://seed/', priority, expires, curdepth: 1, spiderid: 'link' },
    _encoding: 'utf-8',
    priority: 0,
    dont_filter: false,
    flags: [],
  });
}

/**
 * The Redis Monitor's chunked queue scripts against any store: the Lua files on Redis and their twins in
 * memory must give the same tallies and purge exactly the same members, however the work is sliced.
 */
export function redisMonitorContract(name: string, open: () => Promise<Store>): void {
  describe(`Redis Monitor scripts: ${name}`, () => {
    let store: Store;
    const p = `rmc${randomUUID().slice(0, 8)}`;

    beforeAll(async () => {
      store = await open();
    });
    afterAll(async () => {
      for await (const keys of store.scan(`${p}*`)) await store.del(...keys);
      await store.close();
    });

    /** Queues for spider `<p>-<tag>`; returns the spider id. */
    async function fill(tag: string, queues: Record<string, string[]>): Promise<string> {
      const spider = `${p}-${tag}`;
      for (const [domain, members] of Object.entries(queues)) {
        const key = `${spider}:${domain}:queue`;
        for (let i = 0; i < members.length; i += 500) {
          await store.zadd(
            key,
            members.slice(i, i + 500).map((member, j) => ({ member, score: -(i + j) })),
          );
        }
      }
      return spider;
    }

    it('tallies an appid per crawl and domain over both member shapes, in small slices', async () => {
      const spider = await fill('tally', {
        'a.com': [
          feedMember('app1', 'c1', 'http://a.com/1', 50, 1999999999),
          feedMember('app1', 'c1', 'http://a.com/2', 40),
          requestMember('app1', 'c2', 'http://a.com/3', 20),
          feedMember('app2', 'c1', 'http://a.com/4', 90),
          '{not json',
          JSON.stringify({ url: 'http://a.com/x', attrs: { appid: 'app1', crawlid: 'c1' } }),
        ],
        'b.com': [
          requestMember('app1', 'c1', 'http://b.com/1', 30, 1999999999),
          ...Array.from({ length: 1200 }, (_, i) => feedMember('app1', 'c2', `http://b.com/p${i}`, i % 7)),
          ...Array.from({ length: 300 }, (_, i) => feedMember('other', 'c2', `http://b.com/o${i}`, 1)),
        ],
      });
      const queues = new CrawlQueues(store, { chunkSize: 50, depth: 3 });
      const app = await queues.tally(spider, 'app1');
      expect([...app.keys()].sort()).toEqual(['c1', 'c2']);
      const c1 = app.get('c1')!;
      expect(c1.total).toBe(3);
      expect([c1.high, c1.low, c1.expires]).toEqual([50, 30, 1999999999]);
      expect(Object.fromEntries(c1.domains)).toEqual({
        'a.com': { total: 2, high: 50, low: 40 },
        'b.com': { total: 1, high: 30, low: 30 },
      });
      const c2 = app.get('c2')!;
      expect(c2.total).toBe(1201);
      expect(c2.expires).toBeUndefined();
      expect(Object.fromEntries(c2.domains)).toEqual({
        'a.com': { total: 1, high: 20, low: 20 },
        'b.com': { total: 1200, high: 6, low: 0 },
      });

      const crawl = await queues.tally(spider, 'app1', 'c2');
      expect([...crawl.keys()]).toEqual(['c2']);
      expect(crawl.get('c2')!.total).toBe(1201);
      expect((await queues.tally(spider, 'nobody')).size).toBe(0);
    });

    it("reports a crawl's latest non-zero expires, whatever the slice and queue order", async () => {
      // A crawl fed twice with different `expires` (and once without): the tally is the largest, found
      // in the middle of a long queue and in another queue, never the first member a slice happens to read.
      const spider = await fill('expires', {
        'a.com': [
          feedMember('app1', 'c1', 'http://a.com/1', 5, 0),
          feedMember('app1', 'c1', 'http://a.com/2', 5, 1800000000),
        ],
        'b.com': Array.from({ length: 600 }, (_, i) =>
          requestMember('app1', 'c1', `http://b.com/${i}`, 1, i === 317 ? 1900000000 : 1700000000),
        ),
        'c.com': [feedMember('app1', 'c2', 'http://c.com/1', 1, 0)],
      });
      const queues = new CrawlQueues(store, { chunkSize: 40, depth: 2 });
      for (const crawlid of [undefined, 'c1']) {
        const tally = await queues.tally(spider, 'app1', crawlid);
        expect(tally.get('c1')!.expires).toBe(1900000000);
        expect(tally.get('c1')!.total).toBe(602);
      }
      expect((await queues.tally(spider, 'app1')).get('c2')!.expires).toBeUndefined();
    });

    it('matches ids that JSON escapes (no literal pre-filter) the same way', async () => {
      const app = 'ap/p "é"';
      const spider = await fill('escape', {
        'c.com': [
          feedMember(app, 'x/1', 'http://c.com/1', 5),
          requestMember(app, 'x/1', 'http://c.com/2', 7),
          feedMember(app, 'x/2', 'http://c.com/3', 1),
        ],
      });
      const queues = new CrawlQueues(store);
      expect((await queues.tally(spider, app, 'x/1')).get('x/1')!.total).toBe(2);
      expect(await queues.purge(spider, app, 'x/1')).toEqual({ queued: 2, leased: 0 });
      expect(await store.zcard(`${spider}:c.com:queue`)).toBe(1);
    });

    it('purges exactly one crawl, queued and leased, and leaves everything else', async () => {
      const keep = [
        feedMember('app1', 'c2', 'http://d.com/keep1', 10),
        requestMember('app2', 'c1', 'http://d.com/keep2', 10),
        '{not json',
      ];
      const doomed = [
        ...Array.from({ length: 1500 }, (_, i) => feedMember('app1', 'c1', `http://d.com/p${i}`, 5)),
        ...Array.from({ length: 400 }, (_, i) => requestMember('app1', 'c1', `http://d.com/r${i}`, 5)),
      ];
      const spider = await fill('purge', {
        'd.com': [...doomed, ...keep],
        'e.com': [
          feedMember('app1', 'c1', 'http://e.com/1', 1),
          feedMember('app1', 'c3', 'http://e.com/2', 1),
        ],
      });
      const lease = (item: string, owner = 'crawler-1') =>
        JSON.stringify({ queue: `${spider}:d.com:queue`, score: -5, item, owner, expires: 1999999999 });
      await store.hset(`${spider}:leased`, {
        l1: lease(feedMember('app1', 'c1', 'http://d.com/inflight1', 5)),
        l2: lease(requestMember('app1', 'c1', 'http://d.com/inflight2', 5)),
        l3: lease(feedMember('app1', 'c2', 'http://d.com/inflight3', 5)),
      });
      await store.zadd(`${spider}:leases`, [
        { member: 'l1', score: 1 },
        { member: 'l2', score: 2 },
        { member: 'l3', score: 3 },
      ]);

      const queues = new CrawlQueues(store, { chunkSize: 100, depth: 2 });
      expect(await queues.purge(spider, 'app1', 'c1')).toEqual({ queued: 1901, leased: 2 });
      expect((await store.zrange(`${spider}:d.com:queue`, 0, -1)).sort()).toEqual([...keep].sort());
      expect(await store.zrange(`${spider}:e.com:queue`, 0, -1)).toEqual([
        feedMember('app1', 'c3', 'http://e.com/2', 1),
      ]);
      expect(Object.keys(await store.hgetall(`${spider}:leased`))).toEqual(['l3']);
      expect(await store.zrange(`${spider}:leases`, 0, -1)).toEqual(['l3']);
      expect(await queues.purge(spider, 'app1', 'c1')).toEqual({ queued: 0, leased: 0 });
    });

    it('skips keys of another type that look like queues', async () => {
      const spider = `${p}-types`;
      await store.set(`${spider}:weird.com:queue`, 'not a zset');
      await store.zadd(`${spider}:ok.com:queue`, [
        { member: feedMember('a', 'b', 'http://ok.com/', 1), score: -1 },
      ]);
      const queues = new CrawlQueues(store);
      expect((await queues.tally(spider, 'a')).get('b')!.total).toBe(1);
      expect(await queues.purge(spider, 'a', 'b')).toEqual({ queued: 1, leased: 0 });
    });

    it('deletes a finished job only while it still holds the handled value', async () => {
      const job = `${p}:info:link:app`;
      const fails = `lock:${job}:failures`;
      await store.set(job, 'uuid-1');
      await store.set(fails, '2');
      expect(await store.run(jobDone, [job, fails], ['uuid-1'])).toBe(1);
      expect(await store.exists(job)).toBe(false);
      expect(await store.exists(fails)).toBe(false);
      await store.set(job, 'uuid-2');
      expect(await store.run(jobDone, [job, fails], ['uuid-1'])).toBe(0);
      expect(await store.get(job)).toBe('uuid-2');
    });

    it('counts failures like the original and drops the job past RETRY_FAILURES_MAX', async () => {
      const job = `${p}:stop:link:app:c`;
      const fails = `lock:${job}:failures`;
      await store.set(job, 'u');
      const attempts: number[] = [];
      for (let i = 0; i < 4; i++)
        attempts.push(Number(await store.run(jobFailed, [job, fails], ['u', 3, '1'])));
      expect(attempts).toEqual([1, 2, 3, -1]);
      expect(await store.exists(job)).toBe(false);
      expect(await store.exists(fails)).toBe(false);

      await store.set(job, 'u');
      expect(await store.run(jobFailed, [job, fails], ['u', 3, '0'])).toBe(-1);
      expect(await store.exists(job)).toBe(false);

      await store.set(job, 'newer');
      await store.set(fails, '3');
      expect(await store.run(jobFailed, [job, fails], ['u', 3, '1'])).toBe(-1);
      expect(await store.get(job)).toBe('newer');
    });
  });
}
