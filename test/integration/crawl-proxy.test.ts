/**
 * A crawl through a proxy on the real servers: with PROXY set, and with a crawl request's own `proxy`,
 * every request the site sees came through our loopback proxy (its Via mark on each, the proxy's count
 * equal to the site's), and every page is on the crawled topic.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestWeb, type TestWeb } from '../../src/testweb/index.js';
import { sleep, waitFor } from '../support/capture-logger.js';
import { crawlerSettings, startCrawler, uniqueLinkSpider, watchCrawled } from '../support/crawl-cluster.js';
import { startFeedMonitor } from '../support/feed-monitor.js';
import { startTestProxy } from '../support/test-proxy.js';

let web: TestWeb;
let feeder: Awaited<ReturnType<typeof startFeedMonitor>>;
let proxy: Awaited<ReturnType<typeof startTestProxy>>;

beforeAll(async () => {
  web = await startTestWeb({ domains: 2, pagesPerDomain: 10, linksPerPage: 3, crossDomainLinks: 0 });
  proxy = await startTestProxy({ credentials: 'crawler:pr0xy-pass' });
  feeder = await startFeedMonitor('proxy-test');
});

afterAll(async () => {
  await feeder?.close();
  await proxy?.close();
  await web?.close();
});

describe('a crawl through a loopback proxy', () => {
  it.each([
    ['the PROXY setting', 0, true],
    ["the crawl request's proxy", 1, false],
  ])('reaches the site only through the proxy with %s', async (_how, site, bySetting) => {
    const spider = uniqueLinkSpider();
    const prefix = `px${randomUUID().slice(0, 6)}`;
    const crawled = await watchCrawled(prefix);
    const proxyUrl = proxy.url('crawler:pr0xy-pass');
    const crawler = await startCrawler(
      spider,
      crawlerSettings(web, prefix, bySetting ? { PROXY: proxyUrl } : {}),
    );
    const before = proxy.forwarded.length;
    try {
      const seed = web.url(site, '/');
      const expected = web.reachablePages(seed, { maxDepth: 2, sameDomain: true });
      const crawlid = await feeder.feed({
        url: seed,
        spiderid: spider.spiderName,
        maxdepth: 2,
        ...(bySetting ? {} : { proxy: proxyUrl }),
      });
      await waitFor(
        () => new Set(crawled.urls(crawlid)).size >= expected.size,
        60_000,
        `${expected.size} pages`,
      );
      await sleep(500);
      expect(new Set(crawled.urls(crawlid))).toEqual(new Set(expected.keys()));
      const atSite = web.requestsFor(web.host(site));
      const direct = atSite.filter((r) => r.headers.via !== '1.1 test-proxy');
      console.log(
        `proxy crawl (${_how}): ${atSite.length} requests at the site, ${proxy.forwarded.length - before} through the proxy, ${direct.length} direct`,
      );
      expect(direct).toEqual([]);
      expect(proxy.forwarded.length - before).toBe(atSite.length);
      const pages = crawled.pages.filter((p) => p.crawlid === crawlid);
      expect(JSON.stringify(pages)).not.toContain('pr0xy-pass');
    } finally {
      await crawler.stop();
      await crawled.close();
    }
  });
});
