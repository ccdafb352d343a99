import { BadInputError } from '../../core/errors.js';
import { normalizePath, normalizeQuery } from './percent-encoding.js';

export interface CanonicalizeOptions {
  /** Keep the `#fragment` (w3lib's `keep_fragments`); off by default, as in Scrapy's fingerprint. */
  keepFragments?: boolean;
}

/**
 * w3lib `canonicalize_url` (keep_blank_values, no fragments) on top of the WHATWG URL parser, so two URLs
 * that name the same page give the same string: the query sorted by (name, value) with blank values kept,
 * percent-encoding normalised, the fragment dropped.
 *
 * The WHATWG parser adds what w3lib leaves alone: default ports go (`:80`), dot segments are resolved,
 * hosts become punycode by IDNA 2008 and `\` reads as `/`. Userinfo keeps its case (w3lib lower-cases the
 * whole netloc). See docs/spiders.md for the full comparison.
 */
export function canonicalizeUrl(url: string, options?: CanonicalizeOptions): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    throw new BadInputError(`not an absolute URL: ${JSON.stringify(url.slice(0, 200))}`, { cause: err });
  }
  return canonicalizeParsed(parsed, options?.keepFragments === true);
}

/** {@link canonicalizeUrl} for an already parsed URL (the link extractor parses each link once). */
export function canonicalizeParsed(url: URL, keepFragments = false): string {
  const href = url.href;
  // In a WHATWG serialization `#` and `?` only appear as delimiters (elsewhere they are escaped), and
  // the path is the suffix of what precedes the query.
  const hashAt = href.indexOf('#');
  const noFragment = hashAt < 0 ? href : href.slice(0, hashAt);
  const queryAt = noFragment.indexOf('?');
  const beforeQuery = queryAt < 0 ? noFragment : noFragment.slice(0, queryAt);
  const pathname = url.pathname;
  const prefix = beforeQuery.slice(0, beforeQuery.length - pathname.length);
  const query = queryAt < 0 ? '' : normalizeQuery(noFragment.slice(queryAt + 1));
  let out = prefix + normalizePath(pathname);
  if (query !== '') out += `?${query}`;
  if (keepFragments && hashAt >= 0 && hashAt < href.length - 1) out += href.slice(hashAt);
  return out;
}
