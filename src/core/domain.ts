import { getDomain, parse } from 'tldts';

/**
 * How queue and throttle keys name a site (setting DOMAIN_KEYS):
 * - `normalized` (default, for clusters of this implementation only): the registered domain of the
 *   lower-cased, punycode-converted host under the whole public suffix list, implicit `*` rule included.
 * - `tldextract`: exactly the original's `<domain>.<suffix>` from Python's tldextract, so a mixed
 *   deployment of both implementations shares one queue and one throttle budget per site.
 */
export type DomainKeyStyle = 'normalized' | 'tldextract';

export const DOMAIN_KEY_STYLES = ['normalized', 'tldextract'] as const satisfies readonly DomainKeyStyle[];

/** Parses a URL the way the original's crawler does: a URL without a scheme gets `http://`. */
export function parseCrawlUrl(url: string): URL | null {
  const text = url.trim();
  try {
    return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`);
  } catch {
    return null;
  }
}

/**
 * The registered domain of a URL's host (public suffix list, ICANN section, like tldextract's default):
 * `http://www.bbc.co.uk/x` → `bbc.co.uk`. Hosts without one (IPv4 addresses, `localhost`) give the host
 * itself; the original produced `<host>.` with a trailing dot there (style `tldextract` does too).
 * An IPv6 literal's colons would split the `<spiderid>:<domain>:queue` key, so `[::1]` becomes `[--1]`.
 */
export function registeredDomain(url: string | URL, style: DomainKeyStyle = 'normalized'): string | null {
  if (style === 'tldextract') return tldextractDomain(typeof url === 'string' ? url : url.href);
  const parsed = typeof url === 'string' ? parseCrawlUrl(url) : url;
  if (!parsed || !parsed.hostname) return null;
  if (parsed.hostname.startsWith('[')) return `[${parsed.hostname.slice(1, -1).replace(/:/g, '-')}]`;
  const host = parsed.hostname.toLowerCase();
  return getDomain(host) ?? host;
}

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|[01]?\d\d?)\.){3}(?:25[0-5]|2[0-4]\d|[01]?\d\d?)$/;

/**
 * tldextract 2.x's `'{domain}.{suffix}'` of a URL, as the original's ScraperHandler and scheduler build
 * queue keys: the host is cut out of the raw text (scheme, path, query, fragment, userinfo and
 * everything from the first `:` dropped, trailing dots stripped), keeps its case and any punycode, and
 * only suffixes listed in the ICANN section count (no implicit `*` rule): `d0.test` → `test.`,
 * `Sub.Example.COM` → `Example.COM`, `127.0.0.1` → `127.0.0.1.`, and `[::1]:8080` → `[.`, `[2001:db8::1]` → `[2001.` (cut at the
 * first `:`, inside the brackets). Null where tldextract would give an empty domain and suffix.
 */
export function tldextractDomain(url: string): string | null {
  const netloc = url
    .replace(/^([a-z0-9+.-]+:)?\/\//i, '')
    .split('/')[0]!
    .split('?')[0]!
    .split('#')[0]!
    .split('@')
    .pop()!
    .split(':')[0]!
    .trim()
    .replace(/\.+$/, '');
  if (!netloc) return null;
  if (IPV4.test(netloc)) return `${netloc}.`;
  const labels = netloc.split('.');
  let suffixLabels = 0;
  if (labels.every((l) => l !== '')) {
    const info = parse(netloc.toLowerCase(), { allowPrivateDomains: false, extractHostname: false });
    if (info.isIcann && info.publicSuffix) suffixLabels = info.publicSuffix.split('.').length;
  }
  const cut = labels.length - Math.min(suffixLabels, labels.length);
  const registered = labels.slice(0, cut);
  const domain = registered[registered.length - 1] ?? '';
  const suffix = labels.slice(cut).join('.');
  if (!domain && !suffix) return null;
  return `${domain}.${suffix}`;
}
