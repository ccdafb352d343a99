import type { QueuedRequest } from '../../core/wire/request-codec.js';
import type { CrawlResult } from '../pipeline/item.js';

/** Status codes for requests that never got a usable response, following the original's conventions. */
const STATUS_FOR_REASON: Record<string, number> = {
  robots: 403,
  'blocked-address': 403,
  'unsupported-scheme': 400,
  'invalid-url': 400,
  'invalid-proxy': 400,
  'too-large': 413,
  'bad-regex': 400,
  'internal-error': 500,
  'pipeline-error': 500,
  'middleware-error': 500,
  'middleware-timeout': 504,
};

/**
 * The message published for a request that failed for good, so every crawled URL is accounted for on
 * the firehose: the item's usual fields with an `error` object, `status_code` from the last response
 * when there was one, else 504 for network failures (as the original's retry stats count them) or the
 * code matching the refusal.
 */
export function failureItem(
  request: QueuedRequest,
  failure: { reason: string; message: string; status?: number; statusText?: string },
): CrawlResult {
  const meta = request.meta;
  const status = failure.status ?? STATUS_FOR_REASON[failure.reason] ?? 504;
  return {
    appid: String(meta.appid),
    crawlid: String(meta.crawlid),
    url: request.url,
    response_url: request.url,
    status_code: status,
    status_msg: failure.statusText ?? failure.message,
    response_headers: {},
    request_headers: Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, [v]])),
    body: '',
    links: [],
    attrs: (meta.attrs as Record<string, unknown> | null | undefined) ?? null,
    encoding: 'utf-8',
    error: { reason: failure.reason, message: failure.message },
  };
}
