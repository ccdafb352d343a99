/** The text every /charset page carries, in its title and body: Cyrillic so single-byte encodings differ. */
export const CHARSET_SAMPLE = 'Съешь же ещё этих мягких французских булок, да выпей чаю.';

/** How a /charset page declares its encoding. */
export type CharsetVia =
  | 'header'
  | 'meta'
  | 'http-equiv'
  | 'bom'
  | 'none'
  /** Header names the encoding, a meta tag wrongly says utf-8: the header must win. */
  | 'header-vs-meta'
  /** A UTF-8 BOM and a meta tag wrongly naming windows-1251: the BOM must win. */
  | 'bom-vs-meta';

export const CHARSET_VIAS: readonly CharsetVia[] = [
  'header',
  'meta',
  'http-equiv',
  'bom',
  'none',
  'header-vs-meta',
  'bom-vs-meta',
];

const singleByteTables = new Map<string, Map<string, number>>();

/** Encodes text into a single-byte WHATWG encoding by inverting its decoder; undefined if it is not one. */
function encodeSingleByte(text: string, encoding: string): Uint8Array | undefined {
  let table = singleByteTables.get(encoding);
  if (!table) {
    let decoder: InstanceType<typeof TextDecoder>;
    try {
      decoder = new TextDecoder(encoding);
    } catch {
      return undefined;
    }
    table = new Map();
    for (let byte = 0; byte < 256; byte++) {
      const char = decoder.decode(Uint8Array.of(byte));
      if (char.length === 1 && char !== '\uFFFD') table.set(char, byte);
    }
    // Multi-byte encodings decode most high bytes alone to U+FFFD; a real single-byte table maps nearly all.
    if (table.size < 200) return undefined;
    singleByteTables.set(encoding, table);
  }
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = table.get(text[i]!) ?? 0x3f;
  return out;
}

function encodeUtf16(text: string, bigEndian: boolean): Uint8Array {
  const out = new Uint8Array(text.length * 2);
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    out[i * 2 + (bigEndian ? 0 : 1)] = unit >> 8;
    out[i * 2 + (bigEndian ? 1 : 0)] = unit & 0xff;
  }
  return out;
}

/** Encodes text in `encoding` (utf-8, utf-16le/be, or a single-byte encoding); undefined when unsupported. */
export function encodeText(text: string, encoding: string): Uint8Array | undefined {
  if (encoding === 'utf-8') return new TextEncoder().encode(text);
  if (encoding === 'utf-16le') return encodeUtf16(text, false);
  if (encoding === 'utf-16be') return encodeUtf16(text, true);
  return encodeSingleByte(text, encoding);
}

const BOMS: Record<string, number[]> = {
  'utf-8': [0xef, 0xbb, 0xbf],
  'utf-16le': [0xff, 0xfe],
  'utf-16be': [0xfe, 0xff],
};

export interface CharsetPage {
  contentType: string;
  body: Buffer;
}

/** The /charset/<encoding>?via=… page, or an error message when the combination cannot exist. */
export function charsetPage(label: string, via: CharsetVia): CharsetPage | string {
  let encoding: string;
  try {
    encoding = new TextDecoder(label).encoding;
  } catch {
    return `unknown encoding ${label}`;
  }
  const bom = BOMS[encoding];
  if ((via === 'bom' || via === 'bom-vs-meta') && !bom) return `${encoding} has no byte order mark`;
  if (via === 'bom-vs-meta' && encoding !== 'utf-8') return 'bom-vs-meta is only for utf-8';
  if (encoding.startsWith('utf-16') && via !== 'bom' && via !== 'header') {
    return 'a UTF-16 page can only declare itself by BOM or header';
  }
  let meta = '';
  if (via === 'meta') meta = `<meta charset="${encoding}">`;
  if (via === 'http-equiv')
    meta = `<meta http-equiv="Content-Type" content="text/html; charset=${encoding}">`;
  if (via === 'header-vs-meta') meta = '<meta charset="utf-8">';
  if (via === 'bom-vs-meta') meta = '<meta charset="windows-1251">';
  const html = `<!DOCTYPE html>\n<html><head>${meta}<title>${CHARSET_SAMPLE}</title></head><body><p>${CHARSET_SAMPLE}</p></body></html>\n`;
  const encoded = encodeText(html, encoding);
  if (!encoded) return `cannot encode ${encoding}`;
  const prefix = via === 'bom' || via === 'bom-vs-meta' ? Buffer.from(bom ?? []) : Buffer.alloc(0);
  const header = via === 'header' || via === 'header-vs-meta';
  return {
    contentType: header ? `text/html; charset=${encoding}` : 'text/html',
    body: Buffer.concat([prefix, encoded]),
  };
}
