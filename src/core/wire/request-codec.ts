import { parseCrawlUrl } from '../domain.js';

/** A request as the crawler handles it between the queue, the fetcher and the spider. */
export interface QueuedRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
  cookies: Record<string, string> | string | null;
  meta: Record<string, unknown>;
  dontFilter: boolean;
  callback: string | null;
}

function flatHeaders(headers: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers || typeof headers !== 'object') return out;
  for (const [name, value] of Object.entries(headers as Record<string, unknown>)) {
    const v: unknown = Array.isArray(value) ? (value as unknown[])[value.length - 1] : value;
    if (typeof v === 'string' || typeof v === 'number') out[name] = String(v);
  }
  return out;
}

/**
 * Rebuilds a request from a queue member of either shape (facts 6.3): a flat feed object from the Kafka
 * Monitor (every key goes into meta, with curdepth and retry_times defaulting to 0, and `http://` added
 * to a URL without a scheme), or a serialized request with `meta` (Scrapy's request_to_dict layout).
 */
export function decodeMember(member: string): QueuedRequest {
  const data = JSON.parse(member) as Record<string, unknown>;
  if (data.meta && typeof data.meta === 'object') {
    const meta = data.meta as Record<string, unknown>;
    return {
      url: String(data.url),
      method: typeof data.method === 'string' ? data.method : 'GET',
      headers: flatHeaders(data.headers),
      body: typeof data.body === 'string' ? data.body : '',
      cookies: (data.cookies as Record<string, string> | null) ?? null,
      meta,
      dontFilter: data.dont_filter === true,
      callback: typeof data.callback === 'string' ? data.callback : null,
    };
  }
  // The seed's own method, headers and body (members beyond the original's schema) make the request;
  // every other key, proxy included, is crawl meta that its follow-up requests carry on.
  const { method, headers, body, ...fields } = data;
  const meta: Record<string, unknown> = fields;
  meta.curdepth ??= 0;
  meta.retry_times ??= 0;
  const parsed = parseCrawlUrl(String(data.url));
  return {
    url: parsed ? parsed.href : String(data.url),
    method: typeof method === 'string' ? method : 'GET',
    headers: flatHeaders(headers),
    body: typeof body === 'string' ? body : '',
    cookies:
      typeof data.cookie === 'string' || (data.cookie && typeof data.cookie === 'object')
        ? (data.cookie as string)
        : null,
    meta,
    dontFilter: false,
    callback: null,
  };
}

/**
 * Serializes a follow-up request in the layout of Scrapy 1.5's request_to_dict, so Python crawlers
 * sharing the queues can read it (headers as name -> list of values).
 */
export function encodeRequest(request: QueuedRequest): string {
  const headers: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(request.headers)) headers[name] = [value];
  return JSON.stringify({
    url: request.url,
    callback: request.callback ?? 'parse',
    errback: null,
    method: request.method,
    headers,
    body: request.body,
    cookies: request.cookies && typeof request.cookies === 'object' ? request.cookies : {},
    meta: request.meta,
    _encoding: 'utf-8',
    priority: 0,
    dont_filter: request.dontFilter,
    flags: [],
  });
}

/** The numeric crawl fields of a request's meta. */
export type NumericMetaField =
  'priority' | 'curdepth' | 'maxdepth' | 'retry_times' | 'redirect_times' | 'expires' | 'domain_max_pages';

/**
 * A numeric field of a request's meta, read one way everywhere: a finite number, or a numeric string (a
 * member written by another writer may carry one), else 0 (absent, null, or not a number).
 */
export function metaNumber(meta: Readonly<Record<string, unknown>>, field: NumericMetaField): number {
  const value = meta[field];
  if (typeof value === 'number') return Number.isFinite(value) ? value : 0;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isFinite(n) ? n : 0;
  }
  return 0;
}
