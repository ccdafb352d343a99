import { getEncoding } from 'encoding-sniffer';

const canonical = new Map<string, string | null>();

/** The WHATWG name for an encoding label ('latin1' → 'windows-1252', 'CP1251' → 'windows-1251'), if known. */
export function normalizeEncoding(label: string): string | undefined {
  const key = label.trim().toLowerCase();
  let name = canonical.get(key);
  if (name === undefined) {
    try {
      name = new TextDecoder(key).encoding;
    } catch {
      name = null;
    }
    // Labels come from servers; bound the memo so hostile values cannot grow it forever.
    if (canonical.size < 1000) canonical.set(key, name);
  }
  return name ?? undefined;
}

/** The charset parameter of a Content-Type value, normalised; undefined when absent or unknown. */
export function charsetFromContentType(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined;
  const match = /;\s*charset\s*=\s*("?)([^";,\s]+)\1/i.exec(contentType);
  return match?.[2] === undefined ? undefined : normalizeEncoding(match[2]);
}

// w3lib looks for a declared encoding in the first 4 KiB, further than the WHATWG sniffer's 1 KiB.
const SNIFF_BYTES = 4096;

/**
 * The text encoding of a response body, with Scrapy's (w3lib's) precedence: the HTTP charset, then a byte
 * order mark, then `<meta charset>` / `http-equiv` (or an XML declaration), else UTF-8.
 */
export function detectEncoding(body: Uint8Array, contentType: string | undefined): string {
  const fromHeader = charsetFromContentType(contentType);
  if (fromHeader) return fromHeader;
  const sniffed = getEncoding(body.subarray(0, SNIFF_BYTES), {
    maxBytes: SNIFF_BYTES,
    defaultEncoding: 'utf-8',
  });
  return normalizeEncoding(sniffed) ?? 'utf-8';
}

/** Decodes a body; `fatal` makes invalid byte sequences throw instead of becoming U+FFFD. */
export function decodeText(body: Uint8Array, encoding: string, fatal = false): string {
  return new TextDecoder(encoding, { fatal }).decode(body);
}
