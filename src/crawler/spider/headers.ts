/**
 * Header names as Scrapy's Headers store them (Python `str.title()`: a letter after a non-letter is upper
 * case, every other letter lower case), so `content-type` is published as `Content-Type` and `p3p` as
 * `P3P`, exactly as the Python cluster's items show them.
 */
export function titleCaseHeaderName(name: string): string {
  // Pages repeat the same few dozen names: each is worked out once (a bounded cache; a site sending
  // endless distinct names only loses the cache).
  const known = titleCased.get(name);
  if (known !== undefined) return known;
  const title = titleCase(name);
  if (titleCased.size >= 1000) titleCased.clear();
  titleCased.set(name, title);
  return title;
}

const titleCased = new Map<string, string>();

function titleCase(name: string): string {
  let out = '';
  let upper = true;
  for (const ch of name) {
    const lower = ch.toLowerCase();
    const isLetter = lower !== ch.toUpperCase();
    out += isLetter ? (upper ? ch.toUpperCase() : lower) : ch;
    upper = !isLetter;
  }
  return out;
}

/**
 * The original's `reconstruct_headers`: a fresh `{ Name: [values...] }` object, names title-cased and
 * values of names differing only in case merged in order.
 */
export function reconstructHeaders(
  headers: Readonly<Record<string, readonly string[] | string | undefined>>,
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const key = titleCaseHeaderName(name);
    const values = typeof value === 'string' ? [value] : value;
    const existing = out[key];
    if (existing) existing.push(...values);
    else out[key] = [...values];
  }
  return out;
}

/**
 * Headers that describe one connection, not the resource (RFC 9110 section 7.6.1): the crawled message
 * reports the page, and they differ between fetches of the same page and between HTTP clients.
 */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade']);

/** `headers` without the hop-by-hop ones (`Connection`, `Keep-Alive`, `Transfer-Encoding`, `Proxy-*`, …). */
export function withoutHopByHop(headers: Record<string, string[]>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || lower.startsWith('proxy-')) continue;
    out[name] = values;
  }
  return out;
}

/**
 * The `Referer` Scrapy's RefererMiddleware sends from page `from` to `to` (its default policy,
 * no-referrer-when-downgrade): the page URL without credentials and fragment, none from https to plain
 * http, and none for or to anything but http(s).
 */
export function refererFor(from: string, to: string): string | undefined {
  // A page's links all share `from`: its parse is kept for the next call (one entry).
  if (from !== lastSource.from) lastSource = { from, ...parseSource(from) };
  const { protocol, referer } = lastSource;
  if (referer === undefined) return undefined;
  const target = webScheme(to);
  if (target === undefined) return undefined;
  if (protocol === 'https:' && target === 'http:') return undefined;
  return referer;
}

let lastSource: { from: string; protocol?: string; referer?: string } = { from: '' };

function parseSource(from: string): { protocol?: string; referer?: string } {
  let source: URL;
  try {
    source = new URL(from);
  } catch {
    return {};
  }
  if (source.protocol !== 'http:' && source.protocol !== 'https:') return {};
  source.username = '';
  source.password = '';
  source.hash = '';
  return { protocol: source.protocol, referer: source.href };
}

/**
 * `http:` or `https:` for a URL of either scheme (as the URL parser reads it: case and leading spaces or
 * control characters do not matter), else undefined, without parsing the whole URL when it is plain.
 */
function webScheme(url: string): 'http:' | 'https:' | undefined {
  if (url.startsWith('http://')) return 'http:';
  if (url.startsWith('https://')) return 'https:';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.protocol : undefined;
}
