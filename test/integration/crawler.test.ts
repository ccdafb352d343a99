/**
 * The crawler core end to end on real Kafka and Redis and the local test web: a crawl fed through the
 * Kafka Monitor, the cluster-wide throttle measured at the site with three crawler processes, a crawler
 * killed with SIGKILL, stopped and expired crawls, and the address guard.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../../src/core/store/index.js';
import { spawnTestWeb, startTestWeb, type TestWeb } from '../../src/testweb/index.js';
import { sleep, waitFor } from '../support/capture-logger.js';
import {
  crawlerSettings,
  spawnCrawler,
  spiderFile,
  startCrawler,
  uniqueLinkSpider,
  watchCrawled,
} from '../support/crawl-cluster.js';
import { startFeedMonitor } from '../support/feed-monitor.js';

let web: TestWeb;
let feeder: Awaited<ReturnType<typeof startFeedMonitor>>;
let store: RedisStore;
const feed = (request: Record<string, unknown>) => feeder.feed(request);

/** Most requests any closed `window`-second interval holds. */
function busiestWindow(times: number[], window: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let start = 0, end = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! > window) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

beforeAll(async () => {
  web = await startTestWeb({
    domains: 3,
    pagesPerDomain: 12,
    linksPerPage: 4,
    crossDomainLinks: 1,
    nonHtmlLinks: 1,
    redirects: 1,
  });
  feeder = await startFeedMonitor('crawler-test');
  store = feeder.store;
});

afterAll(async () => {
  await feeder?.close();
  await web?.close();
});

describe('crawler', () => {
  it('publishes exactly one message per reachable page of a fed crawl, fetching each page once', async () => {
    const spider = uniqueLinkSpider();
    const prefix = `ct${randomUUID().slice(0, 6)}`;
    const crawled = await watchCrawled(prefix);
    const crawler = await startCrawler(spider, crawlerSettings(web, prefix));
    try {
      web.reset();
      const seed = web.url(0, '/');
      const crawlid = await feed({ url: seed, spiderid: spider.spiderName, maxdepth: 2 });
      const expected = web.reachablePages(seed, { maxDepth: 2 });
      await waitFor(() => crawled.urls(crawlid).length >= expected.size, 60_000, `${expected.size} pages`);
      await sleep(1500); // nothing more may arrive
      const urls = crawled.urls(crawlid);
      expect(new Set(urls)).toEqual(new Set(expected.keys()));
      expect(urls).toHaveLength(expected.size);
      const seedPage = crawled.pages.find((p) => p.url === seed)!;
      expect(seedPage).toMatchObject({
        appid: 'testapp',
        crawlid,
        status_code: 200,
        status_msg: 'OK',
        encoding: 'utf-8',
      });
      expect(Object.keys(seedPage)).toEqual([...Object.keys(seedPage)].sort());
      expect((seedPage.links as unknown[]).length).toBeGreaterThan(0);
      const fetched = web.requests.filter((r) => r.path !== '/robots.txt').map((r) => `${r.host}${r.path}`);
      expect(new Set(fetched).size).toBe(fetched.length); // no page fetched twice within the crawl
      expect(await store.hgetall(`crawlstats:${spider.spiderName}:testapp:${crawlid}`)).toMatchObject({
        published: String(expected.size),
      });
    } finally {
      await crawler.stop();
      await crawled.close();
    }
  });

  it('keeps three crawler processes within 5 requests per 2 seconds at the site, moderated', async () => {
    // The site runs in its own process so that its request times are not skewed by this test's event loop.
    const site = await spawnTestWeb({
      domains: 2,
      pagesPerDomain: 14,
      linksPerPage: 4,
      crossDomainLinks: 0,
      record: true,
    });
    const name = `lt${randomUUID().slice(0, 8)}`;
    const prefix = `ct${randomUUID().slice(0, 6)}`;
    const crawled = await watchCrawled(prefix);
    const settings = crawlerSettings(site, prefix, {
      QUEUE_HITS: 5,
      QUEUE_WINDOW: 2,
      QUEUE_MODERATED: true,
      // The margin absorbs the delay between a lease and its request reaching the site; on a loaded 2-core
      // test machine that delay reaches a few hundred milliseconds.
      QUEUE_WINDOW_MARGIN: 1,
      SCHEDULER_QUEUE_REFRESH: 0.25,
    });
    const file = spiderFile(name);
    const children = [0, 1, 2].map(() => spawnCrawler(file, settings));
    try {
      await sleep(1500);
      const seed = site.url(1, '/');
      const host = new URL(seed).hostname;
      const crawlid = await feed({ url: seed, spiderid: name, maxdepth: 3, allowed_domains: [host] });
      const expected = site.graph.reachablePages(seed, { maxDepth: 3, sameDomain: true });
      await waitFor(
        () => new Set(crawled.urls(crawlid)).size >= expected.size,
        90_000,
        `${expected.size} pages`,
      );
      expect(new Set(crawled.urls(crawlid))).toEqual(new Set(expected.keys()));
      const times = (await site.requests())
        .filter((r) => r.host === host && r.path !== '/robots.txt')
        .map((r) => r.time / 1000);
      expect(times.length).toBeGreaterThanOrEqual(expected.size);
      expect(busiestWindow(times, 2)).toBeLessThanOrEqual(5);
      const sorted = times.sort((a, b) => a - b);
      const gaps = sorted.slice(1).map((t, i) => t - sorted[i]!);
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(0.4);
    } finally {
      for (const c of children) c.kill('SIGTERM');
      await Promise.all(
        children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))),
      );
      await crawled.close();
      await site.close();
    }
  });

  it('loses nothing when a crawler is killed with SIGKILL: another one publishes every remaining page', async () => {
    const name = `lt${randomUUID().slice(0, 8)}`;
    const prefix = `ct${randomUUID().slice(0, 6)}`;
    const crawled = await watchCrawled(prefix);
    const settings = crawlerSettings(web, prefix, {
      LEASE_TIMEOUT: 3,
      QUEUE_HITS: 4,
      QUEUE_WINDOW: 1,
      CONCURRENT_REQUESTS: 4,
    });
    const victim = spawnCrawler(spiderFile(name), settings);
    try {
      await sleep(1500);
      const seed = web.url(2, '/');
      const crawlid = await feed({ url: seed, spiderid: name, maxdepth: 3, allowed_domains: [web.host(2)] });
      const expected = web.reachablePages(seed, { maxDepth: 3, sameDomain: true });
      await waitFor(() => crawled.urls(crawlid).length >= 3, 30_000, 'the first pages');
      victim.kill('SIGKILL');
      await new Promise((r) => victim.once('exit', r));
      const heldByVictim = Object.keys(await store.hgetall(`${name}:leased`)).length;
      const survivor = await startCrawler(uniqueLinkSpider(name), settings);
      try {
        await waitFor(
          () => new Set(crawled.urls(crawlid)).size >= expected.size,
          60_000,
          `${expected.size} pages`,
        );
        expect(new Set(crawled.urls(crawlid))).toEqual(new Set(expected.keys()));
        expect(heldByVictim).toBeGreaterThanOrEqual(0);
        await waitFor(
          async () => Object.keys(await store.hgetall(`${name}:leased`)).length === 0,
          10_000,
          'no leases',
        );
      } finally {
        await survivor.stop();
      }
    } finally {
      if (victim.exitCode === null) victim.kill('SIGKILL');
      await crawled.close();
    }
  });

  it('stops yielding pages of a stopped crawl, and does not extend an expired one', async () => {
    const spider = uniqueLinkSpider();
    const prefix = `ct${randomUUID().slice(0, 6)}`;
    const crawled = await watchCrawled(prefix);
    const crawler = await startCrawler(
      spider,
      crawlerSettings(web, prefix, { QUEUE_HITS: 2, QUEUE_WINDOW: 1 }),
    );
    try {
      const stopped = await feed({
        url: web.url(0, '/'),
        spiderid: spider.spiderName,
        maxdepth: 3,
        allowed_domains: [web.host(0)],
      });
      await waitFor(() => crawled.urls(stopped).length >= 2, 30_000, 'two pages');
      await store.sadd(`${spider.spiderName}:blacklist`, `testapp||${stopped}`);
      await sleep(1500); // requests already in flight may still finish
      const afterStop = crawled.urls(stopped).length;
      await sleep(3000);
      expect(crawled.urls(stopped).length).toBe(afterStop);
      expect(afterStop).toBeLessThan(
        web.reachablePages(web.url(0, '/'), { maxDepth: 3, sameDomain: true }).size,
      );

      const expires = Math.floor(Date.now() / 1000) + 2;
      const expiring = await feed({
        url: web.url(1, '/'),
        spiderid: spider.spiderName,
        maxdepth: 3,
        expires,
        allowed_domains: [web.host(1)],
      });
      await waitFor(() => crawled.urls(expiring).length >= 1, 30_000, 'the seed page');
      await sleep(Math.max(0, expires * 1000 - Date.now()) + 1500);
      const atExpiry = crawled.urls(expiring).length;
      await sleep(3000);
      expect(crawled.urls(expiring).length).toBe(atExpiry);
      expect(await store.zcard(`${spider.spiderName}:${web.host(1)}:queue`)).toBe(0);
    } finally {
      await crawler.stop();
      await crawled.close();
    }
  });

  it('refuses private addresses and redirects into them, saying why', async () => {
    const spider = uniqueLinkSpider();
    const prefix = `ct${randomUUID().slice(0, 6)}`;
    const crawled = await watchCrawled(prefix);
    const crawler = await startCrawler(spider, crawlerSettings(web, prefix));
    try {
      const direct = await feed({ url: 'http://10.0.0.1/', spiderid: spider.spiderName });
      const viaRedirect = await feed({
        url: web.url(0, `/redirect-to?url=${encodeURIComponent('http://169.254.169.254/latest/meta-data/')}`),
        spiderid: spider.spiderName,
      });
      await waitFor(
        () => crawled.urls(direct).length === 1 && crawled.urls(viaRedirect).length === 1,
        30_000,
        'two refusals',
      );
      for (const crawlid of [direct, viaRedirect]) {
        const page = crawled.pages.find((p) => p.crawlid === crawlid)!;
        expect(page.status_code).toBe(403);
        expect(page.error).toMatchObject({ reason: 'blocked-address' });
        expect(String((page.error as { message: string }).message)).toMatch(/10\.0\.0\.1|169\.254\.169\.254/);
      }
    } finally {
      await crawler.stop();
      await crawled.close();
    }
  });
});
