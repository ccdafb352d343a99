import type { Logger } from '../../core/logging/index.js';
import type { CrawlResult } from '../pipeline/item.js';
import type { CrawlResponse } from '../spider/response.js';
import type { CrawlMeta, SpiderOutput } from '../spider/types.js';
import type { Spider } from '../spider/spider.js';

// The extension points of a crawl, as in Scrapy: item pipelines (ITEM_PIPELINES), downloader middlewares
// (DOWNLOADER_MIDDLEWARES) and spider middlewares (SPIDER_MIDDLEWARES). A user module default-exports a
// class; the crawler makes one instance at start, passing an ExtensionContext to the constructor.

/** What a component's constructor receives (Scrapy's from_crawler). */
export interface ExtensionContext {
  /** The crawler's settings (file, environment and flags applied). */
  settings: Readonly<Record<string, unknown>>;
  logger: Logger;
  /** The spider type this crawler runs (`link`, `wandering`...). */
  spiderName: string;
}

/** A request on its way to the site; downloader middlewares may change it in place. */
export interface DownloadRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
  /** Cookies sent with the request (CustomCookiesMiddleware fills them from `meta.cookie`). */
  cookies: Record<string, string> | string | null;
  /** The crawl's meta; `meta.proxy` picks the proxy, `meta.useragent` the User-Agent. */
  meta: CrawlMeta;
}

/** A response, as the site sent it or as a middleware made it. */
export interface DownloadResponse {
  /** The request URL. */
  url: string;
  /** The URL that answered. */
  finalUrl: string;
  status: number;
  statusText: string;
  /** Header names in lower case, every value kept. */
  headers: Record<string, string[]>;
  requestHeaders: Record<string, string[]>;
  body: Buffer;
  encoding: string;
}

/**
 * What a middleware may answer with instead of the site: `status` is required; the rest defaults to the
 * request's URL, no headers, an empty body, utf-8.
 */
export type MadeResponse = Partial<Omit<DownloadResponse, 'body'>> & {
  status: number;
  body?: Buffer | string;
};

type Maybe<T> = T | Promise<T>;

/** One stage of ITEM_PIPELINES. Items are pages and failure records (those have `item.error`). */
export interface ItemPipeline {
  open?(spider: Spider): Maybe<void>;
  close?(spider: Spider): Maybe<void>;
  /** The item (changed or not) for the next stage; throw {@link DropItem} to drop it. */
  processItem(item: CrawlResult, spider: Spider): Maybe<CrawlResult>;
}

/** One stage of DOWNLOADER_MIDDLEWARES (process_request in rank order, the others in reverse). */
export interface DownloaderMiddleware {
  /** Change the request in place, or answer with a response of your own (the site is then not asked). */
  processRequest?(request: DownloadRequest, spider: Spider): Maybe<MadeResponse | void | null>;
  /** The response for the next stage (the same, changed, or another one). */
  processResponse?(
    request: DownloadRequest,
    response: DownloadResponse,
    spider: Spider,
  ): Maybe<DownloadResponse | MadeResponse>;
  /** A download that failed: answer with a response to recover, or nothing to let the failure stand. */
  processException?(
    request: DownloadRequest,
    error: Error,
    spider: Spider,
  ): Maybe<MadeResponse | void | null>;
}

/** What a spider yields: items to publish, requests to queue. */
export type SpiderResult = SpiderOutput;

/** One stage of SPIDER_MIDDLEWARES. */
export interface SpiderMiddleware {
  /** The spider's output for a response, filtered, changed or added to. */
  processSpiderOutput(
    response: CrawlResponse,
    result: AsyncIterable<SpiderResult>,
    spider: Spider,
  ): AsyncIterable<SpiderResult>;
}

/** Thrown by an item pipeline to drop an item: it is counted and logged with `message` as the reason. */
export class DropItem extends Error {
  override readonly name = 'DropItem';
}
