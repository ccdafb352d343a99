/**
 * What a logged request payload may show: secrets replaced, depth and size capped. Requests carry
 * cookies and headers (`cookie`, `Authorization`, API keys) that must never reach a log file, and a
 * hostile request can be megabytes or thousands of levels deep; one log line must stay small.
 */

/** Member names whose values are secrets, compared case-insensitively without `-`/`_`. */
const SECRET_NAMES = new Set([
  'cookie',
  'cookies',
  'setcookie',
  'authorization',
  'proxyauthorization',
  'password',
  'passwd',
  'secret',
  'token',
  'apikey',
  'xapikey',
  'accesstoken',
  'refreshtoken',
]);

export const REDACTED = '[redacted]';
/** Default cap of a logged payload, in characters of its JSON text. */
export const LOG_PAYLOAD_LIMIT = 2048;
const MAX_DEPTH = 8;

/** Names already judged: requests repeat the same few dozen member names (bounded; cleared when full). */
const judged = new Map<string, boolean>();

function isSecretName(name: string): boolean {
  let secret = judged.get(name);
  if (secret === undefined) {
    secret = SECRET_NAMES.has(name.toLowerCase().replace(/[-_]/g, ''));
    if (judged.size >= 1000) judged.clear();
    judged.set(name, secret);
  }
  return secret;
}

/** `scheme://user:password@host` → `scheme://user:[redacted]@host` (proxy URLs carry credentials). */
const URL_PASSWORD = /^([a-z][a-z0-9+.-]*:\/\/[^/@:\s]*):[^/@\s]*@/i;

function redact(value: unknown, depth: number): unknown {
  if (typeof value === 'string')
    return URL_PASSWORD.test(value) ? value.replace(URL_PASSWORD, `$1:${REDACTED}@`) : value;
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[nested too deep]';
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => redact(v, depth + 1));
  const copy: Record<string, unknown> = {};
  let count = 0;
  for (const key of Object.keys(value)) {
    if (++count > 50) {
      copy['…'] = 'more members not shown';
      break;
    }
    const item = (value as Record<string, unknown>)[key];
    copy[key] = isSecretName(key) ? REDACTED : redact(item, depth + 1);
  }
  return copy;
}

/**
 * A payload safe to log: secrets redacted, at most 8 levels deep, and its JSON text cut to `limit`
 * characters (then returned as a string ending in `… [truncated, N chars]`). Raw strings (unparseable
 * records) are only cut, and cookie-looking `name=value` pairs after `cookie` are hidden.
 */
export function safePayload(value: unknown, limit = LOG_PAYLOAD_LIMIT): unknown {
  if (typeof value === 'string')
    return cut(value.replace(/("?cookies?"?\s*[:=]\s*)"[^"]*"/gi, `$1"${REDACTED}"`), limit);
  const redacted = redact(value, 0);
  let text: string;
  try {
    text = JSON.stringify(redacted) ?? 'undefined';
  } catch {
    return '[unserialisable]';
  }
  return text.length > limit ? cut(text, limit) : redacted;
}

function cut(text: string, limit: number): string {
  return text.length > limit ? `${text.slice(0, limit)}… [truncated, ${text.length} chars]` : text;
}
