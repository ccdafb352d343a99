// The spider side of the engine: requests between the spider's shape (CrawlRequest, optional fields, as
// users write them) and the queued one (QueuedRequest, every field set, as the wire decodes it).
import { RecentMap } from '../frontier/recent-map.js';
import type { QueuedRequest } from '../../core/wire/request-codec.js';
import { requestFingerprint } from '../links/index.js';
import type { CrawlResult } from '../pipeline/item.js';
import { isItem } from './guards.js';
import { CrawlResponse } from './response.js';
import type { Spider } from './spider.js';
import type { CrawlRequest } from './types.js';
import type { SpiderOutputChain } from '../middleware/spider-middlewares.js';
import type { PageParser } from '../engine/ports.js';

function toCrawlRequest(request: QueuedRequest): CrawlRequest {
  return {
    url: request.url,
    method: request.method,
    headers: request.headers,
    body: request.body,
    ...(request.cookies && typeof request.cookies === 'object' ? { cookies: request.cookies } : {}),
    meta: request.meta,
    dontFilter: request.dontFilter,
    ...(request.callback ? { callback: request.callback } : {}),
  };
}

function toQueued(request: CrawlRequest): QueuedRequest {
  return {
    url: request.url,
    method: request.method ?? 'GET',
    headers: request.headers ?? {},
    body: request.body ?? '',
    cookies: request.cookies ?? null,
    meta: request.meta,
    dontFilter: request.dontFilter ?? false,
    callback: request.callback ?? 'parse',
  };
}

/**
 * A spider as the engine's PageParser (the spider's output through the spider middlewares): builds the
 * CrawlResponse and converts what parse() yields from the spider's request shape to the queued one.
 */
export function spiderParser(spider: Spider, middlewares?: SpiderOutputChain): PageParser {
  // Most links of a page were met on other pages before: their fingerprints (a URL parse and a SHA1 each)
  // are remembered for body-less requests, keyed by the URL (GET) or method and URL. A URL never starts with
  // a method and a space, so the two kinds of key cannot meet.
  const fingerprints = new RecentMap<string>(600_000, 100_000);
  return {
    async *parse(page, request) {
      const response = new CrawlResponse({
        request: toCrawlRequest(request),
        finalUrl: page.finalUrl,
        status: page.status,
        headers: page.headers,
        requestHeaders: page.requestHeaders,
        body: page.body,
        encoding: page.encoding,
      });
      const output = spider.parse(response);
      for await (const result of middlewares ? middlewares(response, output) : output) {
        yield isItem(result) ? (result as CrawlResult) : toQueued(result);
      }
    },
    fingerprint: (request) => {
      if (request.body !== '') {
        return requestFingerprint({ method: request.method, url: request.url, body: request.body });
      }
      const key = request.method === 'GET' ? request.url : `${request.method} ${request.url}`;
      let fingerprint = fingerprints.get(key);
      if (fingerprint === undefined) {
        fingerprint = requestFingerprint({ method: request.method, url: request.url });
        fingerprints.set(key, fingerprint);
      }
      return fingerprint;
    },
    isItem: (output): output is CrawlResult => 'status_code' in output,
  };
}
