import type { CrawlItem, CrawlRequest } from './types.js';

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * A yielded request: a `url` string and a `meta` object, the same discriminator the scheduler uses for
 * queue members. Items have no `meta`.
 */
export function isRequest(x: unknown): x is CrawlRequest {
  return isRecord(x) && typeof x.url === 'string' && isRecord(x.meta) && !('status_code' in x);
}

/** A page item: the RawResponseItem shape (`url`, `response_url`, numeric `status_code`). */
export function isItem(x: unknown): x is CrawlItem {
  return (
    isRecord(x) &&
    !('meta' in x) &&
    typeof x.url === 'string' &&
    typeof x.response_url === 'string' &&
    typeof x.status_code === 'number'
  );
}
