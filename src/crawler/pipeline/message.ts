import { isUtf8 } from 'node:buffer';
import type { CrawlItem } from './item.js';

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
 * The crawled-page message of `<prefix>.crawled_firehose` (facts 6.8, 6.9): the item plus `timestamp`,
 * keys sorted. The body is text decoded with the page's encoding, or base64 when `base64` is set. A body
 * that is not valid text in its encoding is sent as base64 with `body_base64: true` instead of the
 * original's literal "json failed to parse".
 */
export function crawlMessage(item: CrawlItem, options: { base64: boolean; now?: Date }): string {
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
  return JSON.stringify(sortKeys(datum));
}
