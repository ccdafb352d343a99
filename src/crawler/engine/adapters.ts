import type { Fetcher } from '../fetch/index.js';
import type { QueuedRequest } from '../frontier/request-codec.js';
import { requestFingerprint } from '../links/index.js';
import type { CrawlItem } from '../pipeline/item.js';
import { CrawlResponse, isItem, type CrawlRequest, type Spider } from '../spider/index.js';
import type { PageFetcher, PageParser } from './ports.js';

/** The project's Fetcher as the engine's PageFetcher. */
export function fetcherPort(fetcher: Fetcher): PageFetcher {
  return {
    fetch: (input, signal) =>
      fetcher.fetch(
        {
          url: input.url,
          method: input.method,
          headers: input.headers,
          ...(input.body ? { body: input.body } : {}),
          ...(input.cookies ? { cookies: input.cookies } : {}),
          userAgent: input.userAgent,
        },
        signal,
      ),
    close: () => fetcher.close(),
  };
}

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

/** A spider as the engine's PageParser: builds the CrawlResponse and converts what parse() yields. */
export function spiderParser(spider: Spider): PageParser {
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
      for await (const output of spider.parse(response)) {
        yield isItem(output) ? (output as CrawlItem) : toQueued(output);
      }
    },
    fingerprint: (request) =>
      requestFingerprint({ method: request.method, url: request.url, body: request.body }),
    isItem: (output): output is CrawlItem => 'status_code' in output,
  };
}
