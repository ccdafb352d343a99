import { getLogger, type Logger } from '../../core/logging/index.js';
import { extractLinks, type ExtractedLink } from '../links/index.js';
import { reconstructHeaders, refererFor, withoutHopByHop } from './headers.js';
import { linkOptionsFromMeta } from './meta-filters.js';
import type { CrawlResponse } from './response.js';
import type { CrawlItem, CrawlMeta, CrawlRequest, SpiderOutput } from './types.js';

export interface SpiderContext {
  logger?: Logger;
  /** The crawler's settings, for spiders that read their own. */
  settings?: Readonly<Record<string, unknown>>;
}

/** Everything of a request but its URL and meta, for {@link Spider.follow}. */
export type RequestOptions = Omit<CrawlRequest, 'url' | 'meta'>;

/** A concrete spider class, as the crawler instantiates it. */
export interface SpiderClass {
  new (context?: SpiderContext): Spider;
  readonly spiderName: string;
}

/**
 * Base class of every spider (the original's RedisSpider). A spider parses one response at a time and
 * yields items (published to Kafka) and requests (queued in Redis for any crawler of the request's
 * `meta.spiderid`). Spiders never stop on their own; the crawler feeds them for as long as it runs.
 */
export abstract class Spider {
  /**
   * The spider type (`link`, `wandering`...): the original's `name`, which is also the `spiderid` of the
   * requests it serves. `name` is a built-in static of every JavaScript function, hence `spiderName`.
   */
  static readonly spiderName: string = '';

  readonly logger: Logger;
  readonly settings: Readonly<Record<string, unknown>>;

  constructor(context: SpiderContext = {}) {
    this.logger = context.logger ?? getLogger();
    this.settings = context.settings ?? {};
  }

  /** This instance's spider type. */
  get spiderName(): string {
    return (this.constructor as SpiderClass).spiderName;
  }

  /** Parses a page; yield items and requests in any order and number. */
  abstract parse(response: CrawlResponse): AsyncIterable<SpiderOutput>;

  /**
   * A request for `url` (resolved against the page's final URL) that carries the page's crawl meta:
   * every key of `response.meta` that `meta` does not set itself (the original's MetaPassthrough
   * middleware). The User-Agent header comes from `meta.useragent` when it is set. A link from
   * {@link extractLinks} is taken as it is: it is already absolute and canonical. A `Referer` naming the
   * page is added unless `options.headers` has one, as Scrapy's RefererMiddleware does.
   */
  follow(
    response: CrawlResponse,
    target: string | ExtractedLink,
    meta: CrawlMeta = {},
    options: RequestOptions = {},
  ): CrawlRequest {
    const merged: CrawlMeta = { ...response.meta, ...meta };
    const targetUrl = typeof target === 'string' ? new URL(target, response.finalUrl).href : target.url;
    const headers = { ...options.headers };
    if (typeof merged.useragent === 'string' && merged.useragent !== '') {
      // The crawl's user agent wins, as in the original; drop any other spelling of the name.
      for (const name of Object.keys(headers)) if (name.toLowerCase() === 'user-agent') delete headers[name];
      headers['User-Agent'] = merged.useragent;
    }
    const referer = refererFor(response.finalUrl, targetUrl);
    if (referer && !Object.keys(headers).some((name) => name.toLowerCase() === 'referer'))
      headers.Referer = referer;
    return {
      method: 'GET',
      callback: 'parse',
      ...options,
      url: targetUrl,
      headers,
      meta: merged,
    };
  }

  /**
   * The page's RawResponseItem: crawl ids and `attrs` from meta, the response's URLs, status, headers
   * and raw body; `links` empty for the spider to fill.
   */
  buildItem(response: CrawlResponse): CrawlItem {
    const meta = response.meta;
    return {
      appid: meta.appid,
      crawlid: meta.crawlid,
      url: response.url,
      response_url: response.finalUrl,
      status_code: response.status,
      status_msg: 'OK',
      response_headers: withoutHopByHop(response.reconstructHeaders()),
      request_headers: reconstructHeaders(response.requestHeaders),
      body: response.body,
      links: [],
      attrs: meta.attrs ?? null,
      encoding: response.encoding,
    };
  }

  /**
   * The page's links through the crawl's filters (`allowed_domains`, `allow_regex`, `deny_regex`,
   * `deny_extensions` from meta). Bodies that are not markup have none.
   */
  extractLinks(response: CrawlResponse): ExtractedLink[] {
    if (!response.isMarkup) return [];
    return extractLinks(response.text, response.finalUrl, linkOptionsFromMeta(response.meta));
  }
}
