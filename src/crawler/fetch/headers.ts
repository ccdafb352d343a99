/**
 * The original's `parse_cookie`: every `name=value` pair separated by `;` (and an optional space) becomes an
 * entry, attributes such as `path` or `expires` included; a later duplicate name wins.
 */
export function parseCookieString(text: string): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const match of text.matchAll(/([^=]+)=([^;]+);?\s?/g)) {
    const [, name, value] = match;
    if (name !== undefined && value !== undefined) cookies[name] = value;
  }
  return cookies;
}

/** One Cookie header value for a request's cookies (a dict, or a string parsed as the original did). */
export function cookieHeader(cookies: Readonly<Record<string, string>> | string): string | undefined {
  const entries = Object.entries(typeof cookies === 'string' ? parseCookieString(cookies) : cookies);
  if (entries.length === 0) return undefined;
  return entries.map(([name, value]) => `${name}=${value}`).join('; ');
}

/** Header names as sent: lower case, so merging is case-insensitive. */
export type HeaderMap = Record<string, string>;

export function lowerCaseKeys(headers: Readonly<Record<string, string>> | undefined): HeaderMap {
  const out: HeaderMap = {};
  if (headers) for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  return out;
}

/** The first value of a response header. */
export function firstHeader(headers: Record<string, string | string[] | undefined>, name: string) {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Headers that must not follow a redirect to another host. */
export const CREDENTIAL_HEADERS = ['cookie', 'authorization', 'proxy-authorization'] as const;

/** Headers describing a body, dropped when a redirect turns the request into a body-less GET. */
export const BODY_HEADERS = [
  'content-type',
  'content-length',
  'content-encoding',
  'transfer-encoding',
] as const;
