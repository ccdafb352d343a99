/**
 * Richer seeds on the real servers: a crawl request with a method, headers and a body (beyond the
 * original's schema) fed through Kafka reaches the site as that request, body and headers included.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestWeb, type TestWeb } from '../../src/testweb/index.js';
import { waitFor } from '../support/capture-logger.js';
import { crawlerSettings, startCrawler, uniqueLinkSpider, watchCrawled } from '../support/crawl-cluster.js';
import { startFeedMonitor } from '../support/feed-monitor.js';

let web: TestWeb;
let feeder: Awaited<ReturnType<typeof startFeedMonitor>>;

beforeAll(async () => {
  web = await startTestWeb({ domains: 1, pagesPerDomain: 3 });
  feeder = await startFeedMonitor('seeds-test');
});

afterAll(async () => {
  await feeder?.close();
  await web?.close();
});

describe('a POST seed', () => {
  it('arrives at the site with its method, headers and body', async () => {
    const spider = uniqueLinkSpider();
    const prefix = `seed${Date.now() % 100000}`;
    const crawled = await watchCrawled(prefix);
    const crawler = await startCrawler(spider, crawlerSettings(web, prefix));
    try {
      const crawlid = await feeder.feed({
        url: web.url(0, '/echo'),
        spiderid: spider.spiderName,
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Seed': 'yes' },
        body: 'q=scrapy+cluster&page=2',
      });
      await waitFor(() => crawled.urls(crawlid).length >= 1, 30_000, 'the echoed page');
      const page = crawled.pages.find((p) => p.crawlid === crawlid)!;
      expect(page.status_code).toBe(200);
      const echoed = JSON.parse(String(page.body)) as {
        method: string;
        body: string;
        headers: Record<string, string>;
      };
      expect(echoed.method).toBe('POST');
      expect(echoed.body).toBe('q=scrapy+cluster&page=2');
      expect(echoed.headers['x-seed']).toBe('yes');
      expect(echoed.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(echoed.headers['content-length']).toBe(String('q=scrapy+cluster&page=2'.length));
      const atSite = web.requests.filter((r) => r.path === '/echo');
      expect(atSite.map((r) => r.method)).toEqual(['POST']);
    } finally {
      await crawler.stop();
      await crawled.close();
    }
  });
});
