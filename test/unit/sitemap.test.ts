/**
 * Sitemap reading (urlset, index, namespaces, gzip, limits, hostile input) and the sitemap spider's
 * requests for robots.txt, index and urlset responses.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CrawlResponse, SitemapSpider, type CrawlRequest } from '../../src/crawler/spider/index.js';
import {
  parseSitemap,
  robotsSitemaps,
  SITEMAP_MAX_URLS,
  SitemapError,
  sitemapBytes,
} from '../../src/crawler/spider/sitemap/parse.js';
import { captureLogger } from '../support/capture-logger.js';

const urlset = (locs: string[]) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">${locs
    .map((l) => `<url><loc>${l}</loc><lastmod>2026-01-01</lastmod></url>`)
    .join('')}</urlset>`;

describe('reading sitemaps', () => {
  it('reads the locations of a urlset and of a sitemap index, namespaced or not, entities decoded', () => {
    expect(parseSitemap(urlset(['http://a.test/1', ' http://a.test/2?x=1&amp;y=2 ']))).toEqual({
      kind: 'urlset',
      locations: ['http://a.test/1', 'http://a.test/2?x=1&y=2'],
      dropped: 0,
    });
    const index =
      '<sm:sitemapindex xmlns:sm="http://www.sitemaps.org/schemas/sitemap/0.9"><sm:sitemap><sm:loc>http://a.test/s1.xml</sm:loc></sm:sitemap></sm:sitemapindex>';
    expect(parseSitemap(index)).toEqual({
      kind: 'sitemapindex',
      locations: ['http://a.test/s1.xml'],
      dropped: 0,
    });
    // A <loc> outside <url>/<sitemap> (an image extension's) is not a page of the site.
    expect(
      parseSitemap(
        '<urlset><url><loc>http://a.test/p</loc><image><loc>http://a.test/i.png</loc></image></url></urlset>',
      ).locations,
    ).toEqual(['http://a.test/p']);
  });

  it.each([
    ['HTML', '<html><body><a href="/x">x</a></body></html>', /root element is <html>/],
    ['an RSS feed', '<rss><channel><item><link>http://a.test/</link></item></channel></rss>', /<rss>/],
    ['no XML at all', 'just text', /no XML element/],
    ['an empty body', '', /no XML element/],
  ])('refuses %s as not a sitemap', (_what, body, message) => {
    expect(() => parseSitemap(body)).toThrow(SitemapError);
    expect(() => parseSitemap(body)).toThrow(message);
  });

  it('does not expand entities of a DTD (no billion laughs)', () => {
    const laughs =
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>' +
      '<urlset><url><loc>http://a.test/&lol2;</loc></url></urlset>';
    const { locations } = parseSitemap(laughs);
    expect(locations).toHaveLength(1);
    expect(locations[0]!.length).toBeLessThan(100);
  });

  it(`keeps the first ${SITEMAP_MAX_URLS} locations and counts the rest`, () => {
    const locs = Array.from({ length: SITEMAP_MAX_URLS + 3 }, (_, i) => `http://a.test/${i}`);
    const parsed = parseSitemap(urlset(locs));
    expect([parsed.locations.length, parsed.dropped]).toEqual([SITEMAP_MAX_URLS, 3]);
  });

  it('gunzips gzip sitemaps within the size limit and fails bombs and oversized files', () => {
    const xml = urlset(['http://a.test/1']);
    expect(sitemapBytes(gzipSync(xml), 1 << 20).toString()).toBe(xml);
    const bomb = gzipSync(Buffer.alloc(20 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(100_000);
    expect(() => sitemapBytes(bomb, 1024 * 1024)).toThrow(/larger than 1048576 bytes once uncompressed/);
    expect(() => sitemapBytes(Buffer.from(xml), 10)).toThrow(SitemapError);
    expect(() => sitemapBytes(Buffer.from([0x1f, 0x8b, 1, 2, 3]), 1024)).toThrow(/cannot be uncompressed/);
  });

  it('reads the Sitemap lines of a robots.txt', () => {
    expect(
      robotsSitemaps(
        'User-agent: *\nDisallow: /x\nSitemap: http://a.test/s.xml\r\nsitemap:http://a.test/t.xml.gz\n',
      ),
    ).toEqual(['http://a.test/s.xml', 'http://a.test/t.xml.gz']);
  });
});

describe('the sitemap spider', () => {
  const { logger } = captureLogger('sitemap', 'WARNING');
  const spider = new SitemapSpider({ logger, settings: {} });
  const respond = (url: string, body: string | Buffer, meta: Record<string, unknown> = {}) =>
    new CrawlResponse({
      request: {
        url,
        meta: { appid: 'a', crawlid: 'c', spiderid: 'sitemap', priority: 5, curdepth: 0, ...meta },
      },
      finalUrl: url,
      status: 200,
      headers: {},
      requestHeaders: {},
      body: typeof body === 'string' ? Buffer.from(body) : body,
      encoding: 'utf-8',
    });
  const run = async (response: CrawlResponse) => {
    const out: unknown[] = [];
    for await (const o of spider.parse(response)) out.push(o);
    const requests = out.filter((o): o is CrawlRequest => typeof o === 'object' && o !== null && 'meta' in o);
    return { requests, items: out.length - requests.length };
  };

  it('goes from a site page to robots.txt, to the sitemaps it names, to the pages they list', async () => {
    const site = await run(respond('http://a.test/', '<html></html>'));
    expect(site.requests.map((r) => [r.url, r.meta.sitemap_role])).toEqual([
      ['http://a.test/robots.txt', 'robots'],
    ]);
    const robots = await run(
      respond('http://a.test/robots.txt', 'Sitemap: http://a.test/index.xml\n', { sitemap_role: 'robots' }),
    );
    expect(robots.requests.map((r) => [r.url, r.meta.sitemap_role])).toEqual([
      ['http://a.test/index.xml', 'sitemap'],
    ]);
    const index = await run(
      respond(
        'http://a.test/index.xml',
        '<sitemapindex><sitemap><loc>/s1.xml.gz</loc></sitemap></sitemapindex>',
        {
          sitemap_role: 'sitemap',
        },
      ),
    );
    expect(index.requests.map((r) => r.url)).toEqual(['http://a.test/s1.xml.gz']);
    const pages = await run(
      respond(
        'http://a.test/s1.xml.gz',
        gzipSync(urlset(['http://a.test/p1', 'http://b.test/p2', 'mailto:x@a.test', 'http://a.test/f.pdf'])),
        {
          sitemap_role: 'sitemap',
          allowed_domains: ['a.test'],
        },
      ),
    );
    expect(pages.requests.map((r) => [r.url, r.meta.sitemap_role, r.meta.priority, r.meta.curdepth])).toEqual(
      [['http://a.test/p1', 'page', -5, 1]],
    );
    const page = await run(
      respond('http://a.test/p1', '<a href="/elsewhere">x</a>', { sitemap_role: 'page' }),
    );
    expect([page.requests.length, page.items]).toEqual([0, 1]);
    for (const step of [site, robots, index, pages]) expect(step.items).toBe(1);
  });

  it('fails a sitemap it cannot read with an invalid-sitemap failure', async () => {
    await expect(
      run(respond('http://a.test/s.xml', '<html>not a sitemap</html>', { sitemap_role: 'sitemap' })),
    ).rejects.toMatchObject({ reason: 'invalid-sitemap', retryable: false });
  });
});
