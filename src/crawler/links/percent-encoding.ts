/**
 * Percent-encoding normalisation of a URL's path and query, as w3lib's `canonicalize_url` (1.19, the
 * version Scrapy 1.5 runs on) does it. Inputs are WHATWG-serialized components, so every character is
 * ASCII and non-ASCII text is already UTF-8 percent-encoded; decoded bytes are held as "binary strings"
 * (one char per byte) so that sorting compares bytes as Python does.
 */

const HEX = '0123456789ABCDEF';

function table(chars: string): Uint8Array {
  const t = new Uint8Array(128);
  for (let i = 0; i < chars.length; i++) t[chars.charCodeAt(i)] = 1;
  return t;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** w3lib `_safe_chars`: RFC 3986 reserved and unreserved characters, `|`, and `%`. */
const PATH_SAFE = table(`${ALNUM}-._~:/?#[]@!$&'()*+,;=|%`);

/**
 * Bytes that stay percent-encoded in a path. w3lib keeps `%2F` and `%3F`; it decodes `%25` and `%23`,
 * which turns `/100%25` into `/100%` and `/a%23b` into a fragment. We keep those two encoded as well, so
 * a canonical URL still names the same resource.
 */
const PATH_KEEP_ENCODED = new Set([0x2f, 0x3f, 0x25, 0x23]);

/**
 * Python's `quote_plus` safe set in the versions the original runs on (2.7 and 3.6): `~` is not in it
 * until Python 3.7, so a query's `~` becomes `%7E`, matching the Python cluster's fingerprints.
 */
const QUERY_SAFE = table(`${ALNUM}_.-`);

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 70) return code - 55;
  if (code >= 97 && code <= 102) return code - 87;
  return -1;
}

/** The byte of a valid `%XX` escape at `i`, or -1. */
function escapedByte(s: string, i: number): number {
  if (s.charCodeAt(i) !== 37 || i + 2 >= s.length) return -1;
  const hi = hexValue(s.charCodeAt(i + 1));
  const lo = hexValue(s.charCodeAt(i + 2));
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

function encodeByte(b: number): string {
  return `%${HEX[b >> 4]}${HEX[b & 15]}`;
}

function pathNeedsWork(path: string): boolean {
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 37 || c >= 128 || PATH_SAFE[c] !== 1) return true;
  }
  return false;
}

/**
 * Decodes escapes of safe characters (`%7E` → `~`), upper-cases the hex of the others and encodes
 * characters outside the safe set (`^` → `%5E`). An empty path becomes `/`.
 *
 * Like Python's `urlparse`, whatever follows the first `;` of the last segment is "params": w3lib only
 * escapes unsafe characters there (`%7e` stays as it is) and drops an empty `;`.
 */
export function normalizePath(pathname: string): string {
  if (pathname === '') return '/';
  const paramsAt = pathname.indexOf(';', pathname.lastIndexOf('/'));
  if (paramsAt < 0) return normalizeSegments(pathname);
  const params = pathname.slice(paramsAt + 1);
  const path = normalizeSegments(pathname.slice(0, paramsAt));
  return params === '' ? path : `${path};${escapeUnsafe(params)}`;
}

function escapeUnsafe(s: string): string {
  if (!pathNeedsWork(s)) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += c < 128 && PATH_SAFE[c] === 1 ? s[i] : encodeByte(c & 0xff);
  }
  return out;
}

function normalizeSegments(path: string): string {
  if (path === '') return '/';
  if (!pathNeedsWork(path)) return path;
  let out = '';
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    const b = c === 37 ? escapedByte(path, i) : -1;
    if (b >= 0) {
      out +=
        b < 128 && PATH_SAFE[b] === 1 && !PATH_KEEP_ENCODED.has(b) ? String.fromCharCode(b) : encodeByte(b);
      i += 2;
    } else if (c < 128 && PATH_SAFE[c] === 1) {
      out += path[i];
    } else {
      // Only ASCII reaches here (WHATWG already encoded the rest); encode it as one byte.
      out += encodeByte(c & 0xff);
    }
  }
  return out;
}

/** Python's `unquote_to_bytes` after `+` → space, as a binary string. */
function unquotePlus(s: string): string {
  if (s.indexOf('%') < 0 && s.indexOf('+') < 0) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 43) {
      out += ' ';
      continue;
    }
    const b = c === 37 ? escapedByte(s, i) : -1;
    if (b >= 0) {
      out += String.fromCharCode(b);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

/** Python's `quote_plus` over a binary string. */
function quotePlus(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const b = s.charCodeAt(i);
    if (b === 32) out += '+';
    else if (b < 128 && QUERY_SAFE[b] === 1) out += s[i];
    else out += encodeByte(b);
  }
  return out;
}

/**
 * Splits on `&` and `;` (w3lib's `_parse_qsl_to_bytes`), keeps blank values (`c` → `c=`), decodes, sorts
 * by (name, value) bytewise and encodes again. Returns '' when nothing is left, so `?` and `?&` vanish.
 */
export function normalizeQuery(query: string): string {
  if (query === '') return '';
  const pairs: [string, string][] = [];
  for (const part of query.split(/[&;]/)) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? '' : part.slice(eq + 1);
    pairs.push([unquotePlus(name), unquotePlus(value)]);
  }
  // Array.prototype.sort is stable; code-unit order on binary strings is Python's bytes order.
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  let out = '';
  for (const [name, value] of pairs) {
    if (out !== '') out += '&';
    out += `${quotePlus(name)}=${quotePlus(value)}`;
  }
  return out;
}
