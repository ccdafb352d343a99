import { canonicalizeParsed } from './canonicalize.js';
import { compileLinkFilter, type LinkFilterOptions } from './link-filter.js';
import { scanAnchors } from './scan-anchors.js';

export interface ExtractedLink {
  /** Absolute, canonical URL (query sorted, fragment dropped). */
  url: string;
  /** The element's text content, runs of ASCII whitespace collapsed to one space and trimmed. */
  text: string;
}

export interface ExtractLinksOptions extends LinkFilterOptions {
  /** How to decode a Buffer (a TextDecoder label); default utf-8. */
  encoding?: string;
}

function decode(html: string | Buffer, encoding: string | undefined): string {
  if (typeof html === 'string') return html;
  try {
    return new TextDecoder(encoding ?? 'utf-8').decode(html);
  } catch {
    return new TextDecoder('utf-8').decode(html);
  }
}

function resolve(href: string, base?: URL): URL | undefined {
  try {
    return new URL(href, base);
  } catch {
    return undefined;
  }
}

/** HTML's ASCII whitespace only: a no-break space in link text is meant. */
function collapse(text: string): string {
  return text.replace(/[ \t\n\f\r]+/g, ' ').replace(/^ | $/g, '');
}

/**
 * The links of a page as Scrapy Cluster's link extractor finds them: `<a href>` and `<area href>`, the
 * value trimmed, resolved against the first `<base href>` (itself resolved against the page URL) or the
 * page URL; only http and https; then the filters; then canonicalized and de-duplicated by canonical URL,
 * the first occurrence winning. Tabs and newlines inside a URL are dropped by the WHATWG parser, which
 * covers the original's stripping of `\n`.
 *
 * Scrapy's order is kept: links are first de-duplicated by canonical URL *with* fragment, the filters see
 * the absolute URL before canonicalization, and the final de-duplication drops the fragment.
 */
export function extractLinks(
  html: string | Buffer,
  baseUrl: string,
  options: ExtractLinksOptions = {},
): ExtractedLink[] {
  const filter = compileLinkFilter(options);
  const pageUrl = resolve(baseUrl);
  if (pageUrl === undefined) return [];
  const { anchors, baseHref } = scanAnchors(decode(html, options.encoding));
  const base = (baseHref !== undefined ? resolve(baseHref.trim(), pageUrl) : undefined) ?? pageUrl;

  // The same href always resolves to the same key, so a repeat is a duplicate without parsing it again.
  const seenHrefs = new Set<string>();
  const seenWithFragment = new Set<string>();
  const seen = new Set<string>();
  const links: ExtractedLink[] = [];
  for (const anchor of anchors) {
    const href = anchor.href.trim();
    if (seenHrefs.has(href)) continue;
    seenHrefs.add(href);
    const url = resolve(href, base);
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) continue;
    const withFragment = canonicalizeParsed(url, true);
    if (seenWithFragment.has(withFragment)) continue;
    seenWithFragment.add(withFragment);
    if (!filter.allows(url)) continue;
    const hashAt = withFragment.indexOf('#');
    const canonical = hashAt < 0 ? withFragment : withFragment.slice(0, hashAt);
    if (seen.has(canonical)) continue;
    seen.add(canonical);
    links.push({ url: canonical, text: collapse(anchor.text) });
  }
  return links;
}
