import { compileLinkFilter } from '../links/index.js';
import { metaNumber } from '../../core/wire/request-codec.js';
import { linkOptionsFromMeta } from './meta-filters.js';
import type { CrawlResponse } from './response.js';
import { parseSitemap, robotsSitemaps, sitemapBytes } from './sitemap/parse.js';
import { Spider } from './spider.js';
import type { CrawlMeta, SpiderOutput } from './types.js';

/** What a request of a sitemap crawl fetches (`meta.sitemap_role`). */
type Role = 'robots' | 'sitemap' | 'page';

const DEFAULT_MAX_BYTES = 50 * 1024 * 1024;

/**
 * The sitemap crawler (`spiderid` "sitemap"): the sitemap decides what is crawled. A crawl request's URL
 * is a robots.txt (its `Sitemap:` lines), a sitemap or sitemap index (XML, gzip or not), or any page of a
 * site (then its robots.txt is read). Index entries become sitemap requests, `<loc>` entries of a urlset
 * become page requests through the crawl's filters (`allowed_domains`, `allow_regex`, `deny_regex`,
 * `deny_extensions`) and page limits; pages are published but their links are not followed. Every fetched
 * URL, robots.txt and sitemaps included, is published once, as everywhere. A sitemap that cannot be read
 * ends in one `invalid-sitemap` failure record. Sitemap levels do not count against `maxdepth`.
 */
export class SitemapSpider extends Spider {
  static override readonly spiderName: string = 'sitemap';

  override async *parse(response: CrawlResponse): AsyncGenerator<SpiderOutput> {
    const meta = response.meta;
    const item = this.buildItem(response);
    const role = roleOf(meta) ?? this.guessRole(response);
    if (role === 'page' || response.status >= 400) {
      yield item;
      return;
    }
    if (role === 'robots') {
      for (const loc of robotsSitemaps(response.body.toString('utf8'))) {
        const request = this.toSitemap(response, loc);
        if (request) yield request;
      }
    } else if (role === 'sitemap') {
      const max = Number(this.settings.SITEMAP_MAX_BYTES ?? DEFAULT_MAX_BYTES);
      const sitemap = parseSitemap(sitemapBytes(response.body, max).toString('utf8'));
      if (sitemap.dropped > 0)
        this.logger.warning('Sitemap lists more than 50,000 URLs; the rest are left out', {
          url: response.url,
          dropped: sitemap.dropped,
        });
      const filter = compileLinkFilter(linkOptionsFromMeta(meta));
      for (const loc of sitemap.locations) {
        const request =
          sitemap.kind === 'sitemapindex'
            ? this.toSitemap(response, loc)
            : this.toPage(response, loc, filter);
        if (request) yield request;
      }
    } else {
      // A page of the site: its robots.txt names the sitemaps.
      yield this.follow(response, new URL('/robots.txt', response.finalUrl).href, { sitemap_role: 'robots' });
    }
    yield item;
  }

  /** A seed's role: robots.txt by its path, a sitemap by its name or its first bytes, else a page. */
  private guessRole(response: CrawlResponse): Role | 'site' {
    const path = new URL(response.finalUrl).pathname.toLowerCase();
    if (path === '/robots.txt') return 'robots';
    const start = response.body.subarray(0, 512).toString('latin1').trimStart();
    const gzip = response.body[0] === 0x1f && response.body[1] === 0x8b;
    if (
      gzip ||
      /\.xml(\.gz)?$/.test(path) ||
      start.startsWith('<?xml') ||
      /^<(\w+:)?(urlset|sitemapindex)\b/.test(start)
    )
      return 'sitemap';
    return 'site';
  }

  private toSitemap(response: CrawlResponse, loc: string) {
    const url = httpUrl(loc, response.finalUrl);
    return url && this.follow(response, url.href, { sitemap_role: 'sitemap' });
  }

  private toPage(response: CrawlResponse, loc: string, filter: { allows(url: URL): boolean }) {
    const url = httpUrl(loc, response.finalUrl);
    if (!url || !filter.allows(url)) return undefined;
    const meta = response.meta;
    return this.follow(response, url.href, {
      sitemap_role: 'page',
      curdepth: metaNumber(meta, 'curdepth') + 1,
      priority: metaNumber(meta, 'priority') - 10,
    });
  }
}

function roleOf(meta: CrawlMeta): Role | undefined {
  const role = meta.sitemap_role;
  return role === 'robots' || role === 'sitemap' || role === 'page' ? role : undefined;
}

/** An absolute http(s) URL, or undefined for anything else a sitemap may hold. */
function httpUrl(loc: string, base: string): URL | undefined {
  try {
    const url = new URL(loc, base);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}
