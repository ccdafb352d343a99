import { createHash } from 'node:crypto';
import { canonicalizeUrl } from './canonicalize.js';

export interface FingerprintInput {
  url: string;
  /** Default GET; upper-cased as Scrapy's Request does. */
  method?: string;
  /** Strings count as their UTF-8 bytes. */
  body?: string | Buffer | null;
}

/**
 * Scrapy 1.5 `request_fingerprint` without headers: hex SHA1 over the method, the canonical URL and the
 * body bytes. Equal to the Python cluster's value whenever {@link canonicalizeUrl} agrees with w3lib,
 * which holds for ordinary http(s) URLs (docs/spiders.md lists the exceptions).
 */
export function requestFingerprint(request: FingerprintInput): string {
  const hash = createHash('sha1');
  hash.update((request.method ?? 'GET').toUpperCase());
  hash.update(canonicalizeUrl(request.url));
  const body = request.body;
  if (body !== undefined && body !== null && body.length > 0) hash.update(body);
  return hash.digest('hex');
}
