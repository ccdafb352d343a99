import { isUtf8 } from 'node:buffer';
import type { CrawlResult } from './item.js';

/** `datetime.utcnow().isoformat()`: `2016-01-05T20:14:54.653000`, no zone, fraction omitted at .000. */
export function pythonUtcIso(date: Date): string {
  const iso = date.toISOString().slice(0, -1); // drop the Z
  return iso.endsWith('.000') ? iso.slice(0, -4) : `${iso}000`;
}

const UTF8_LABELS = new Set(['utf-8', 'utf8', 'unicode-1-1-utf-8']);
const strictDecoders = new Map<string, InstanceType<typeof TextDecoder> | null>();

/** The bytes as text in `encoding`, or undefined when they are not valid text in it (or it is unknown). */
function strictDecode(bytes: Buffer, encoding: string): string | undefined {
  // The common case without a TextDecoder: Node validates and decodes UTF-8 natively.
  // As TextDecoder does, a leading byte order mark is not part of the text.
  if (UTF8_LABELS.has(encoding.toLowerCase())) {
    if (!isUtf8(bytes)) return undefined;
    const bom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
    return bytes.toString('utf8', bom ? 3 : 0);
  }
  let decoder = strictDecoders.get(encoding);
  if (decoder === undefined) {
    try {
      decoder = new TextDecoder(encoding, { fatal: true });
    } catch {
      decoder = null;
    }
    if (strictDecoders.size < 100) strictDecoders.set(encoding, decoder);
  }
  if (decoder === null) return undefined;
  try {
    return decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

/** A canonical array index ("0", "7", "42"): such keys come first, in numeric order, in any object. */
function isIndexKey(key: string): boolean {
  const c = key.charCodeAt(0);
  if (c < 48 || c > 57 || (c === 48 && key.length > 1)) return false;
  for (let i = 1; i < key.length; i++) {
    const d = key.charCodeAt(i);
    if (d < 48 || d > 57) return false;
  }
  return Number(key) < 4294967295;
}

/**
 * Sorts `keys[from..]` in place, in the order of Array.prototype.sort() (UTF-16 code units). An item's
 * objects have a few dozen keys at most: insertion sort allocates nothing, where the built-in sort makes
 * work arrays on every call (~12 KB of garbage per crawled page, measured with an allocation profile).
 */
function sortInPlace(keys: string[], from: number): string[] {
  if (keys.length - from > 64) {
    const sorted = keys.slice(from).sort();
    for (let i = 0; i < sorted.length; i++) keys[from + i] = sorted[i]!;
    return keys;
  }
  for (let i = from + 1; i < keys.length; i++) {
    const key = keys[i]!;
    let j = i - 1;
    while (j >= from && keys[j]! > key) {
      keys[j + 1] = keys[j]!;
      j--;
    }
    keys[j + 1] = key;
  }
  return keys;
}

/**
 * The object's keys in the order of the original encoding: the keys sorted, as Python's
 * `json.dumps(sort_keys=True)`, except that index-like keys ("0", "10") come first in numeric order, the
 * order a JavaScript object built from the sorted keys had (the earlier deep copy's quirk, kept so the
 * bytes stay the same).
 */
function orderedKeys(value: object): string[] {
  const keys = Object.keys(value);
  // Object.keys lists index keys first, ascending; only the rest needs sorting.
  let split = 0;
  while (split < keys.length && isIndexKey(keys[split]!)) split++;
  return sortInPlace(keys, split);
}

/** `"key":` for the keys items repeat on every page, so each is quoted once. */
const quotedKeys = new Map<string, string>();

function quotedKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = `${JSON.stringify(key)}:`;
    // Keys of user attrs and headers are open-ended: only short ones are kept, and the cache stops
    // growing rather than evicting (at most 4,096 × 64 characters, whatever the requests carry).
    if (key.length <= 64 && quotedKeys.size < 4096) quotedKeys.set(key, quoted);
  }
  return quoted;
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** The old deep copy with sorted keys; only used for values that are neither JSON-like nor Buffers. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

/**
 * JSON with sorted keys, written in one pass without copying the value: the same text as
 * `JSON.stringify` of a sorted deep copy (undefined for a value JSON leaves out). Strings, the body
 * among them, are escaped once by JSON.stringify itself.
 */
export function sortedJson(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
    case 'bigint': // throws, as JSON.stringify does
      return JSON.stringify(value);
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          out += sortedJson(value[i]) ?? 'null';
        }
        return `${out}]`;
      }
      // A Buffer keeps its toJSON; other class instances, objects with an own toJSON and an own
      // `__proto__` key (which the copy's assignment turned into a prototype) are rare in an item: the old
      // deep copy decides what they become.
      const record = value as Record<string, unknown>;
      if (
        Buffer.isBuffer(value) ||
        !isPlainObject(value) ||
        typeof record.toJSON === 'function' ||
        Object.hasOwn(value, '__proto__')
      ) {
        return JSON.stringify(sortKeys(value));
      }
      let out = '{';
      let first = true;
      for (const key of orderedKeys(value)) {
        const text = sortedJson(record[key]);
        if (text === undefined) continue;
        out += first ? quotedKey(key) + text : ',' + quotedKey(key) + text;
        first = false;
      }
      return `${out}}`;
    }
    default:
      return undefined;
  }
}

/**
 * The crawled-page message of `<prefix>.crawled_firehose` (facts 6.8, 6.9): the item plus `timestamp`,
 * keys sorted. The body is text decoded with the page's encoding, or base64 when `base64` is set. A body
 * that is not valid text in its encoding is sent as base64 with `body_base64: true` instead of the
 * original's literal "json failed to parse".
 */
export function crawlMessage(item: CrawlResult, options: { base64: boolean; now?: Date }): string {
  const datum: Record<string, unknown> = { ...item, timestamp: pythonUtcIso(options.now ?? new Date()) };
  const bytes = typeof item.body === 'string' ? Buffer.from(item.body, 'utf8') : item.body;
  if (options.base64) {
    datum.body = bytes.toString('base64');
  } else {
    const text = strictDecode(bytes, item.encoding || 'utf-8');
    if (text !== undefined) {
      datum.body = text;
    } else {
      datum.body = bytes.toString('base64');
      datum.body_base64 = true;
    }
  }
  return sortedJson(datum)!;
}
