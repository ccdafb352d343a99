/** Formatting helpers for log lines: timestamps, Python-style dict rendering, tolerant JSON. */

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

let cachedSecond = Number.NaN;
let cachedSecondText = '';

/**
 * Local time as Python logging's `asctime`: `2015-12-22 15:45:37,457`. The part up to the second is
 * cached because consecutive lines almost always share it.
 */
export function localTime(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    const d = new Date(second * 1000);
    cachedSecondText =
      `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
      `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
    cachedSecond = second;
  }
  return `${cachedSecondText},${pad(ms - second * 1000, 3)}`;
}

let cachedMs = Number.NaN;
let cachedUtc = '';

/**
 * UTC time in the original's `%Y-%m-%dT%H:%M:%S.%fZ` layout. JavaScript clocks give milliseconds, so the
 * six fraction digits end in 000; keeping six digits keeps date patterns written for the original working.
 */
export function utcTimestamp(ms: number): string {
  // Busy loggers write many lines per millisecond; formatting a Date is the costly part of a record.
  if (ms !== cachedMs) {
    cachedMs = ms;
    cachedUtc = `${new Date(ms).toISOString().slice(0, 23)}000Z`;
  }
  return cachedUtc;
}

const PY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Python's repr() of a str: single quotes unless the text holds a single quote and no double quote. */
function pyString(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of text) {
    const escaped = PY_ESCAPES[ch];
    if (escaped !== undefined) out += escaped;
    else if (ch === quote) out += `\\${ch}`;
    else {
      const code = ch.codePointAt(0) ?? 0;
      out += code < 0x20 || code === 0x7f ? `\\x${code.toString(16).padStart(2, '0')}` : ch;
    }
  }
  return quote + out + quote;
}

function pyNumber(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  return String(value);
}

function pyRepr(value: unknown, seen: Set<object>): string {
  if (value === null || value === undefined) return 'None';
  switch (typeof value) {
    case 'string':
      return pyString(value);
    case 'number':
      return pyNumber(value);
    case 'boolean':
      return value ? 'True' : 'False';
    case 'bigint':
      return value.toString();
    case 'function':
      return `<function ${value.name || 'anonymous'}>`;
    case 'symbol':
      return value.toString();
    default:
      break;
  }
  const obj = value;
  if (value instanceof Date) return pyString(value.toISOString());
  if (value instanceof Error) return `${value.name}(${pyString(value.message)})`;
  if (seen.has(obj)) return Array.isArray(obj) ? '[...]' : '{...}';
  seen.add(obj);
  try {
    if (Array.isArray(obj)) return `[${obj.map((item) => pyRepr(item, seen)).join(', ')}]`;
    const entries = Object.entries(obj).map(([k, v]) => `${pyString(k)}: ${pyRepr(v, seen)}`);
    return `{${entries.join(', ')}}`;
  } finally {
    seen.delete(obj);
  }
}

/** Renders extras the way the original appended `str(dict)` to text lines: `{'sum': 4, 'ok': True}`. */
export function pyDict(extras: Readonly<Record<string, unknown>>): string {
  return pyRepr(extras, new Set());
}

function jsonReplacer(this: unknown, _key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return { type: value.name, message: value.message, stack: value.stack };
  return value;
}

/** JSON that never throws: circular references become "[Circular]", BigInts strings, Errors objects. */
export function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, jsonReplacer) ?? 'null';
  } catch {
    const seen = new WeakSet<object>();
    return (
      JSON.stringify(value, function (this: unknown, key: string, v: unknown) {
        const replaced = jsonReplacer.call(this, key, v);
        if (replaced !== null && typeof replaced === 'object') {
          if (seen.has(replaced)) return '[Circular]';
          seen.add(replaced);
        }
        return replaced;
      }) ?? 'null'
    );
  }
}
