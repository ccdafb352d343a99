import { getDomain } from 'tldts';

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
 * `http://www.bbc.co.uk/x` → `bbc.co.uk`. Hosts without one (IP addresses, `localhost`) give the host
 * itself; the original produced `<host>.` with a trailing dot there.
 */
export function registeredDomain(url: string | URL): string | null {
  const parsed = typeof url === 'string' ? parseCrawlUrl(url) : url;
  if (!parsed || !parsed.hostname) return null;
  const host = parsed.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return getDomain(host) ?? host;
}
