import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  charsetFromContentType,
  decodeText,
  detectEncoding,
  Fetcher,
  normalizeEncoding,
} from '../../src/crawler/fetch/index.js';
import { CHARSET_SAMPLE, encodeText, startTestWeb, type TestWeb } from '../../src/testweb/index.js';

let web: TestWeb;
let fetcher: Fetcher;

beforeAll(async () => {
  web = await startTestWeb({ domains: 1, pagesPerDomain: 2, record: false });
  fetcher = new Fetcher({ ...web.fetcherSettings(), ROBOTSTXT_OBEY: false });
});
afterAll(async () => {
  await fetcher.close();
  await web.close();
});

describe('response encoding', () => {
  const cases: [path: string, encoding: string][] = [
    ['/charset/windows-1251?via=header', 'windows-1251'],
    ['/charset/windows-1251?via=meta', 'windows-1251'],
    ['/charset/windows-1251?via=http-equiv', 'windows-1251'],
    ['/charset/cp1251?via=meta', 'windows-1251'],
    ['/charset/koi8-r?via=meta', 'koi8-r'],
    ['/charset/utf-8?via=bom', 'utf-8'],
    ['/charset/utf-16le?via=bom', 'utf-16le'],
    ['/charset/utf-16be?via=bom', 'utf-16be'],
    ['/charset/utf-16le?via=header', 'utf-16le'],
    // The HTTP header beats a contradicting meta tag, and a BOM beats one too.
    ['/charset/windows-1251?via=header-vs-meta', 'windows-1251'],
    ['/charset/utf-8?via=bom-vs-meta', 'utf-8'],
  ];

  it.each(cases)('%s is %s and decodes to the right text', async (path, encoding) => {
    const res = await fetcher.fetch({ url: web.url(0, path) });
    expect(res.status).toBe(200);
    expect(res.encoding).toBe(encoding);
    expect(res.text).toContain(`<title>${CHARSET_SAMPLE}</title>`);
    expect(res.text.startsWith('<!DOCTYPE html>')).toBe(true);
  });

  it('falls back to utf-8 when nothing declares an encoding', async () => {
    const res = await fetcher.fetch({ url: web.url(0, '/charset/windows-1251?via=none') });
    expect(res.encoding).toBe('utf-8');
    expect(res.text).not.toContain(CHARSET_SAMPLE);
    expect(res.text).toContain('\uFFFD');
  });

  it('normalises labels to WHATWG names', () => {
    expect(normalizeEncoding('latin1')).toBe('windows-1252');
    expect(normalizeEncoding(' CP1251 ')).toBe('windows-1251');
    expect(normalizeEncoding('UTF8')).toBe('utf-8');
    expect(normalizeEncoding('no-such-charset')).toBeUndefined();
    expect(charsetFromContentType('text/html; charset="KOI8-R"')).toBe('koi8-r');
    expect(charsetFromContentType('text/html;charset=iso-8859-1')).toBe('windows-1252');
    expect(charsetFromContentType('text/html; charset=bogus')).toBeUndefined();
    expect(charsetFromContentType('text/html')).toBeUndefined();
  });

  it('detects with header > BOM > meta > utf-8', () => {
    const cyrillic = encodeText(`<meta charset="windows-1251">${CHARSET_SAMPLE}`, 'windows-1251')!;
    expect(detectEncoding(cyrillic, 'text/html')).toBe('windows-1251');
    expect(detectEncoding(cyrillic, 'text/html; charset=koi8-r')).toBe('koi8-r');
    expect(detectEncoding(cyrillic, 'text/html; charset=nonsense')).toBe('windows-1251');
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('<meta charset="koi8-r">')]);
    expect(detectEncoding(bom, undefined)).toBe('utf-8');
    expect(detectEncoding(Buffer.from('<p>plain'), undefined)).toBe('utf-8');
    expect(decodeText(cyrillic, 'windows-1251')).toContain(CHARSET_SAMPLE);
    expect(() => decodeText(Buffer.from([0xff, 0xfe, 0xfd]), 'utf-8', true)).toThrow();
  });
});
