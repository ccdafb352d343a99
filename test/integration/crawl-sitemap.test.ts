/**
 * A sitemap crawl on the real servers: robots.txt → a sitemap index → a gzip sitemap and a plain one;
 * the crawl fetches exactly the sitemap's URLs (plus robots.txt and the sitemaps), never the pages they
 * link to, and publishes each once; a sitemap that is not one ends in one invalid-sitemap record.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SitemapSpider, type SpiderClass } from '../../src/crawler/spider/index.js';
import { sleep, waitFor } from '../support/capture-logger.js';
import { crawlerSettings, startCrawler, watchCrawled } from '../support/crawl-cluster.js';
import { startFeedMonitor } from '../support/feed-monitor.js';

let server: Server;
let base = '';
const requested: string[] = [];
let feeder: Awaited<ReturnType<typeof startFeedMonitor>>;

const urlset = (paths: string[]) =>
  `<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">${paths
    .map((p) => `<url><loc>${base}${p}</loc></url>`)
    .join('')}</urlset>`;

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? '/';
    requested.push(path);
    const xml = (body: string) => res.writeHead(200, { 'content-type': 'application/xml' }).end(body);
    switch (path) {
      case '/robots.txt':
        return res
          .writeHead(200, { 'content-type': 'text/plain' })
          .end(`User-agent: *\nSitemap: ${base}/sitemap_index.xml\n`);
      case '/sitemap_index.xml':
        return xml(
          `<sitemapindex><sitemap><loc>${base}/sitemap1.xml.gz</loc></sitemap><sitemap><loc>${base}/sitemap2.xml</loc></sitemap></sitemapindex>`,
        );
      case '/sitemap1.xml.gz':
        return res
          .writeHead(200, { 'content-type': 'application/gzip' })
          .end(gzipSync(urlset(['/p1', '/p2'])));
      case '/sitemap2.xml':
        return xml(urlset(['/p3', '/p4', '/p2']));
      case '/broken.xml':
        return res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Moved</body></html>');
      default:
        // Every page links to pages that are not in any sitemap.
        return res
          .writeHead(200, { 'content-type': 'text/html' })
          .end(`<html><body><a href="/other${path.slice(2)}">other</a><a href="/p9">p9</a></body></html>`);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://sm.test:${(server.address() as AddressInfo).port}`;
  feeder = await startFeedMonitor('sitemap-test');
});

afterAll(async () => {
  await feeder?.close();
  await new Promise((resolve) => server?.close(resolve));
});

const site = {
  fetcherSettings: () => ({ DNS_OVERRIDES: { '*.test': '127.0.0.1' }, ALLOWED_ADDRESSES: ['127.0.0.1/32'] }),
};

describe('the sitemap spider on a real crawl', () => {
  it("fetches exactly the sitemap's URLs, through robots.txt, an index and a gzip sitemap", async () => {
    const name = `sm${randomUUID().slice(0, 6)}`;
    const spider: SpiderClass = class extends SitemapSpider {
      static override readonly spiderName = name;
    };
    const prefix = `sm${randomUUID().slice(0, 6)}`;
    const crawled = await watchCrawled(prefix);
    const crawler = await startCrawler(spider, crawlerSettings(site, prefix));
    try {
      const crawlid = await feeder.feed({ url: `${base}/robots.txt`, spiderid: name });
      const broken = await feeder.feed({ url: `${base}/broken.xml`, spiderid: name });
      const expected = [
        '/robots.txt',
        '/sitemap_index.xml',
        '/sitemap1.xml.gz',
        '/sitemap2.xml',
        '/p1',
        '/p2',
        '/p3',
        '/p4',
      ];
      await waitFor(
        () => new Set(crawled.urls(crawlid)).size >= expected.length,
        60_000,
        `${expected.length} results`,
      );
      await waitFor(() => crawled.urls(broken).length >= 1, 30_000, 'the broken sitemap');
      await sleep(1500);
      const pages = crawled.pages.filter((p) => p.crawlid === crawlid);
      expect(pages.map((p) => new URL(p.url).pathname).sort()).toEqual([...expected].sort());
      expect(pages.every((p) => p.status_code === 200 && !p.error)).toBe(true);
      // The site saw the sitemap's pages and machinery only (robots.txt also for the robots check).
      const fetched = new Set(requested);
      expect([...fetched].sort()).toEqual([...expected, '/broken.xml'].sort());
      expect(requested.filter((p) => p.startsWith('/other') || p === '/p9')).toEqual([]);
      const [failure] = crawled.pages.filter((p) => p.crawlid === broken);
      expect(failure!.error).toMatchObject({ reason: 'invalid-sitemap' });
      console.log(`sitemap crawl: ${pages.length} results, ${requested.length} requests at the site`);
    } finally {
      await crawler.stop();
      await crawled.close();
    }
  });
});
