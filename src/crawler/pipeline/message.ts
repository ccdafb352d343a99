import type { CrawlItem } from './item.js';

/** `datetime.utcnow().isoformat()`: `2016-01-05T20:14:54.653000`, no zone, fraction omitted at .000. */
export function pythonUtcIso(date: Date): string {
  const iso = date.toISOString().slice(0, -1); // drop the Z
  return iso.endsWith('.000') ? iso.slice(0, -4) : `${iso}000`;
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
    try {
      datum.body = new TextDecoder(item.encoding || 'utf-8', { fatal: true }).decode(bytes);
    } catch {
      datum.body = bytes.toString('base64');
      datum.body_base64 = true;
    }
  }
  return JSON.stringify(sortKeys(datum));
}
