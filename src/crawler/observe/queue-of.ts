import { registeredDomain } from '../../core/domain.js';

/** Registered domain by URL authority (`host[:port]`), so a page costs a string scan, not a URL parse. */
const byAuthority = new Map<string, string | null>();
const MAX_CACHED = 10_000;

/** The domain queue key `<spiderid>:<domain>:queue` of a URL, or undefined when it has no domain. */
export function queueOf(spiderid: string, url: string): string | undefined {
  const scheme = url.indexOf('://');
  let domain: string | null | undefined;
  if (scheme < 0) domain = registeredDomain(url);
  else {
    let end = scheme + 3;
    while (end < url.length) {
      const c = url.charCodeAt(end);
      if (c === 47 || c === 63 || c === 35) break; // '/', '?', '#'
      end++;
    }
    const authority = url.slice(scheme + 3, end);
    domain = byAuthority.get(authority);
    if (domain === undefined) {
      domain = registeredDomain(url);
      if (byAuthority.size >= MAX_CACHED) byAuthority.clear();
      byAuthority.set(authority, domain);
    }
  }
  return domain ? `${spiderid}:${domain}:queue` : undefined;
}
