import { metaNumber, type QueuedRequest } from '../../core/wire/request-codec.js';
import type { FetchedPage } from './ports.js';

export const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/** A redirect's failure record fields: why it is not followed. */
export interface RedirectFailure {
  reason: 'invalid-url' | 'too-many-redirects' | 'unsupported-scheme' | 'redirect-loop';
  message: string;
  status?: number;
  statusText?: string;
}

/**
 * What a redirect leads to, as Scrapy's redirect middleware decides it: the next request (its target, the
 * hop counted in `meta.redirect_times`, the chain in `meta.redirect_urls`, GET unless 307/308), or the
 * failure that ends the request: an unparsable Location, more than `maxRedirects` hops, a target that is
 * not http(s) (the frontier would refuse it silently, and it must not be fetched), or a loop in its own
 * chain. A target crawled earlier in the crawl is left to the duplicate filter, as in the original.
 */
export function followRedirect(
  request: QueuedRequest,
  page: FetchedPage,
  location: string,
  maxRedirects: number,
): { next: QueuedRequest } | { failure: RedirectFailure } {
  const hops = metaNumber(request.meta, 'redirect_times') + 1;
  let target: string;
  try {
    target = new URL(location, page.finalUrl).href;
  } catch {
    return { failure: { reason: 'invalid-url', message: `Invalid redirect to ${location}` } };
  }
  const { status, statusText } = page;
  if (hops > maxRedirects) {
    const message = `More than ${maxRedirects} redirects, last to ${target}`;
    return { failure: { reason: 'too-many-redirects', message, status, statusText } };
  }
  const scheme = new URL(target).protocol;
  if (scheme !== 'http:' && scheme !== 'https:') {
    const message = `Redirect to ${target}: only http and https are crawled`;
    return { failure: { reason: 'unsupported-scheme', message, status, statusText } };
  }
  const chain = [...((request.meta.redirect_urls as string[] | undefined) ?? []), request.url];
  if (chain.includes(target)) {
    const message = `Redirect loop: ${[...chain, target].join(' -> ')}`;
    return { failure: { reason: 'redirect-loop', message, status, statusText } };
  }
  const keepsMethod = status === 307 || status === 308;
  return {
    next: {
      ...request,
      url: target,
      method: keepsMethod ? request.method : 'GET',
      body: keepsMethod ? request.body : '',
      meta: { ...request.meta, redirect_times: hops, redirect_urls: chain },
      dontFilter: false,
      callback: request.callback ?? 'parse',
    },
  };
}

/**
 * The request queued again after a retryable failure (the original's RedisRetryMiddleware): one more
 * `retry_times`, priority lowered by 10, past the duplicate filter.
 */
export function retryRequest(request: QueuedRequest): QueuedRequest {
  const meta = request.meta;
  return {
    ...request,
    meta: {
      ...meta,
      retry_times: metaNumber(meta, 'retry_times') + 1,
      priority: metaNumber(meta, 'priority') - 10,
    },
    dontFilter: true,
  };
}
