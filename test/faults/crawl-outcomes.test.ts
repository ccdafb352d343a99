/**
 * Every crawl request ends in exactly one outcome, against real Redis and Kafka (the shared servers, with
 * the broker's default message.max.bytes of 1 MB) and the bundled test web, which counts every fetch:
 *
 * - 300 KB and 2 MB pages at 32 concurrent requests: each fetched once, each with one message (the 2 MB
 *   ones as too-large records without their body);
 * - an invalid allow_regex, a redirect loop and a redirect to file:///etc/passwd: one failure record each,
 *   no refetch;
 * - SIGTERM to a crawler process mid-crawl: no failure record, and after a restart every page exactly once.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registeredDomain } from '../../src/core/domain.js';
import { priorityPush } from '../../src/core/queues/index.js';
import { RedisStore } from '../../src/core/store/index.js';
import { startTestWeb, type TestWeb } from '../../src/testweb/index.js';
import { sleep, waitFor } from '../support/capture-logger.js';
import {
  crawlerSettings,
  spawnCrawler,
  spiderFile,
  startCrawler,
  uniqueLinkSpider,
  watchCrawled,
} from '../support/crawl-cluster.js';
import { servicesEnv } from '../support/services.js';

let web: TestWeb;
let store: RedisStore;

beforeAll(async () => {
  web = await startTestWeb({ domains: 3, pagesPerDomain: 6, linksPerPage: 3 });
  const env = servicesEnv();
  store = await RedisStore.connect({ host: env.REDIS_HOST, port: env.REDIS_PORT });
});

afterAll(async () => {
  await store?.close();
  await web?.close();
});

/** Queues a crawl request as the Kafka Monitor does (its defaults filled in). */
async function feed(spiderid: string, url: string, extra: Record<string, unknown> = {}): Promise<string> {
  const crawlid = `c${randomUUID().slice(0, 8)}`;
  const request = {
    url,
    appid: 'testapp',
    crawlid,
    spiderid,
    priority: 1,
    maxdepth: 0,
    domain_max_pages: null,
    allowed_domains: null,
    allow_regex: null,
    deny_regex: null,
    deny_extensions: null,
    expires: 0,
    useragent: null,
    cookie: null,
    attrs: null,
    ...extra,
  };
  await store.run(priorityPush, [`${spiderid}:${registeredDomain(url)}:queue`], [1, JSON.stringify(request)]);
  return crawlid;
}

/** Fetches of each path at the test web (robots.txt left out). */
function fetchCounts(hosts: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const host of hosts)
    for (const r of web.requestsFor(host))
      if (r.path !== '/robots.txt') counts.set(`${host}${r.path}`, (counts.get(`${host}${r.path}`) ?? 0) + 1);
  return counts;
}

type Page = Record<string, unknown> & { url: string; crawlid: string; status_code: number };

function reasons(pages: Page[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of pages) {
    const reason = (p.error as { reason?: string } | undefined)?.reason;
    if (reason) out[reason] = (out[reason] ?? 0) + 1;
  }
  return out;
}

function duplicates(urls: string[]): number {
  return urls.length - new Set(urls).size;
}

describe('crawler: one outcome per request', () => {
  it('fetches 300 KB and 2 MB pages once each at 32 concurrent requests, one message each', async () => {
    const spider = uniqueLinkSpider();
    const prefix = `co${randomUUID().slice(0, 6)}`;
    const crawled = await watchCrawled(prefix);
    const crawler = await startCrawler(
      spider,
      crawlerSettings(web, prefix, {
        CONCURRENT_REQUESTS: 32,
        CONCURRENT_REQUESTS_PER_DOMAIN: 32,
        KAFKA_PRODUCER_BATCH_LINGER_MS: 25,
        ROBOTSTXT_OBEY: false,
      }),
    );
    try {
      web.reset();
      const small = Array.from({ length: 48 }, (_, i) => web.url(i % 3, `/big?bytes=300000&n=${i}`));
      const large = Array.from({ length: 8 }, (_, i) => web.url(i % 3, `/big?bytes=2000000&n=${i}`));
      const crawlid = `c${randomUUID().slice(0, 8)}`;
      for (const url of [...small, ...large]) await feed(spider.spiderName, url, { crawlid });
      const total = small.length + large.length;
      await waitFor(() => crawled.urls(crawlid).length >= total, 120_000, `${total} messages`);
      await sleep(3000); // nothing more may arrive, nothing may be fetched again
      const pages = crawled.pages.filter((p) => p.crawlid === crawlid);
      const urls = pages.map((p) => p.url);
      const fetches = fetchCounts([web.host(0), web.host(1), web.host(2)]);
      const refetches = [...fetches.values()].reduce((n, c) => n + c - 1, 0);
      const stats = await store.hgetall(`crawlstats:${spider.spiderName}:testapp:${crawlid}`);
      console.log('large pages at 32 concurrent:', {
        published: pages.filter((p) => !p.error).length,
        failed: reasons(pages),
        duplicates: duplicates(urls),
        refetches,
        fetches: [...fetches.values()].reduce((n, c) => n + c, 0),
        crawlstats: stats,
      });
      expect(new Set(urls)).toEqual(new Set([...small, ...large]));
      expect(duplicates(urls)).toBe(0);
      expect(fetches.size).toBe(total);
      expect(refetches).toBe(0);
      for (const url of small) {
        const page = pages.find((p) => p.url === url)!;
        expect(page.error).toBeUndefined();
        expect((page.body as string).length).toBe(300_000);
      }
      for (const url of large) {
        expect(pages.find((p) => p.url === url)).toMatchObject({
          status_code: 200,
          body: '',
          body_truncated: true,
          body_bytes: 2_000_000,
          error: { reason: 'too-large' },
        });
      }
      expect(stats).toEqual({ published: '48', failed: '8' });
    } finally {
      await crawler.stop();
      await crawled.close();
    }
  });

  it('ends an invalid regex, a redirect loop and a file: redirect in one failure record each', async () => {
    const spider = uniqueLinkSpider();
    const prefix = `co${randomUUID().slice(0, 6)}`;
    const crawled = await watchCrawled(prefix);
    const crawler = await startCrawler(spider, crawlerSettings(web, prefix, { ROBOTSTXT_OBEY: false }));
    try {
      web.reset();
      const badRegex = web.url(0, '/');
      const loop = web.url(1, '/redirect-loop/x');
      const fileRedirect = web.url(2, `/redirect-to?url=${encodeURIComponent('file:///etc/passwd')}`);
      const crawlids = {
        badRegex: await feed(spider.spiderName, badRegex, { maxdepth: 1, allow_regex: ['(?<=a)b'] }),
        loop: await feed(spider.spiderName, loop),
        fileRedirect: await feed(spider.spiderName, fileRedirect),
      };
      await waitFor(
        () => Object.values(crawlids).every((c) => crawled.urls(c).length >= 1),
        60_000,
        'three records',
      );
      await sleep(3000);
      const fetches = fetchCounts([web.host(0), web.host(1), web.host(2)]);
      const pages = crawled.pages.filter((p) => Object.values(crawlids).includes(p.crawlid));
      console.log('hostile requests:', {
        published: pages.filter((p) => !p.error).length,
        failed: reasons(pages),
        duplicates: duplicates(pages.map((p) => `${p.crawlid} ${p.url}`)),
        refetches: [...fetches.values()].reduce((n, c) => n + c - 1, 0),
        fetches: Object.fromEntries(fetches),
      });
      expect(pages).toHaveLength(3);
      expect(crawled.pages.find((p) => p.crawlid === crawlids.badRegex)).toMatchObject({
        url: badRegex,
        error: { reason: 'bad-regex' },
      });
      expect(crawled.pages.find((p) => p.crawlid === crawlids.loop)).toMatchObject({
        url: `${loop}-back`,
        status_code: 302,
        error: { reason: 'redirect-loop' },
      });
      expect(crawled.pages.find((p) => p.crawlid === crawlids.fileRedirect)).toMatchObject({
        url: fileRedirect,
        error: { reason: 'unsupported-scheme' },
      });
      expect(Object.fromEntries(fetches)).toEqual({
        [`${web.host(0)}/`]: 1,
        [`${web.host(1)}/redirect-loop/x`]: 1,
        [`${web.host(1)}/redirect-loop/x-back`]: 1,
        [`${web.host(2)}${new URL(fileRedirect).pathname}${new URL(fileRedirect).search}`]: 1,
      });
      for (const crawlid of Object.values(crawlids)) {
        expect(await store.hgetall(`crawlstats:${spider.spiderName}:testapp:${crawlid}`)).toEqual({
          failed: '1',
        });
      }
    } finally {
      await crawler.stop();
      await crawled.close();
    }
  });

  it('hands requests in flight back on SIGTERM without a failure record; a restart publishes each page once', async () => {
    const name = `lt${randomUUID().slice(0, 8)}`;
    const prefix = `co${randomUUID().slice(0, 6)}`;
    const crawled = await watchCrawled(prefix);
    const settings = crawlerSettings(web, prefix, {
      CONCURRENT_REQUESTS: 8,
      CONCURRENT_REQUESTS_PER_DOMAIN: 8,
      DOWNLOAD_TIMEOUT: 30,
      ROBOTSTXT_OBEY: false,
    });
    const file = spiderFile(name);
    web.reset();
    const urls = Array.from({ length: 24 }, (_, i) => web.url(i % 3, `/slow/5000?n=${i}`));
    const crawlid = `c${randomUUID().slice(0, 8)}`;
    for (const url of urls) await feed(name, url, { crawlid });
    const first = spawnCrawler(file, settings, ['--grace-seconds', '1']);
    let second: ReturnType<typeof spawnCrawler> | undefined;
    try {
      // Stop while requests are being fetched (the first 8 take 5 s), after the grace of 1 s.
      await waitFor(
        () => fetchCounts([web.host(0), web.host(1), web.host(2)]).size >= 8,
        60_000,
        '8 fetches',
      );
      await sleep(500);
      first.kill('SIGTERM');
      const code = await new Promise<number | null>((resolve) => first.once('exit', resolve));
      expect(code).toBe(0);
      await sleep(1000);
      const afterStop = crawled.pages.filter((p) => p.crawlid === crawlid);
      const statsAfterStop = await store.hgetall(`crawlstats:${name}:testapp:${crawlid}`);
      const leased = await store.hgetall(`${name}:leased`);
      const attempts = await store.hgetall(`${name}:attempts`);
      const fetchedBefore = [...fetchCounts([web.host(0), web.host(1), web.host(2)]).values()].reduce(
        (n, c) => n + c,
        0,
      );
      console.log('after SIGTERM:', {
        published: afterStop.filter((p) => !p.error).length,
        failed: reasons(afterStop),
        fetched: fetchedBefore,
        crawlstats: statsAfterStop,
        leased: Object.keys(leased).length,
        counted_attempts: Object.keys(attempts).length,
      });
      expect(afterStop.filter((p) => p.error)).toEqual([]);
      expect(statsAfterStop.failed).toBeUndefined();
      expect(leased).toEqual({});
      expect(attempts).toEqual({});
      expect(afterStop.length).toBeLessThan(urls.length);
      expect(fetchedBefore - afterStop.length).toBeGreaterThan(0); // some were cut short and handed back

      second = spawnCrawler(file, settings);
      await waitFor(() => crawled.urls(crawlid).length >= urls.length, 90_000, `${urls.length} pages`);
      await sleep(3000);
      const pages = crawled.pages.filter((p) => p.crawlid === crawlid);
      const fetches = fetchCounts([web.host(0), web.host(1), web.host(2)]);
      const refetches = [...fetches.values()].reduce((n, c) => n + c - 1, 0);
      console.log('after restart:', {
        published: pages.filter((p) => !p.error).length,
        failed: reasons(pages),
        duplicates: duplicates(pages.map((p) => p.url)),
        refetches,
        handed_back_at_stop: fetchedBefore - afterStop.length,
      });
      expect(new Set(pages.map((p) => p.url))).toEqual(new Set(urls));
      expect(duplicates(pages.map((p) => p.url))).toBe(0);
      expect(pages.filter((p) => p.error)).toEqual([]);
      // Only requests cut short by the stop were fetched again.
      expect(refetches).toBe(fetchedBefore - afterStop.length);
      expect(await store.hgetall(`crawlstats:${name}:testapp:${crawlid}`)).toEqual({ published: '24' });
    } finally {
      if (first.exitCode === null) first.kill('SIGKILL');
      if (second && second.exitCode === null) {
        second.kill('SIGTERM');
        await new Promise((resolve) => second!.once('exit', resolve));
      }
      await crawled.close();
    }
  });
});
