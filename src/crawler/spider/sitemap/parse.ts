import { gunzipSync } from 'node:zlib';
import { Parser } from 'htmlparser2';
import { RequestFailure } from '../../../core/errors.js';

/** sitemaps.org's limits: 50,000 URLs and 50 MB (uncompressed) per file. */
export const SITEMAP_MAX_URLS = 50_000;

/** A sitemap that cannot be read: its page ends with one `invalid-sitemap` failure record. */
export class SitemapError extends RequestFailure {
  constructor(message: string) {
    super('SC_BAD_INPUT', 'invalid-sitemap', message, false);
  }
}

/** What a sitemap document lists: pages (`urlset`) or other sitemaps (`sitemapindex`). */
export interface Sitemap {
  kind: 'urlset' | 'sitemapindex';
  locations: string[];
  /** Entries past SITEMAP_MAX_URLS, left out. */
  dropped: number;
}

/**
 * The bytes of a sitemap: gunzipped when they are gzip (a `.xml.gz` served as is; a gzip Content-Encoding
 * was already undone by the fetcher), bounded by `maxBytes` so a gzip bomb fails the page instead of
 * filling memory.
 */
export function sitemapBytes(body: Buffer, maxBytes: number): Buffer {
  if (body.length < 2 || body[0] !== 0x1f || body[1] !== 0x8b) {
    if (body.length > maxBytes)
      throw new SitemapError(`sitemap of ${body.length} bytes, more than ${maxBytes}`);
    return body;
  }
  try {
    return gunzipSync(body, { maxOutputLength: maxBytes });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE')
      throw new SitemapError(`gzip sitemap larger than ${maxBytes} bytes once uncompressed`);
    throw new SitemapError(`gzip sitemap that cannot be uncompressed: ${(err as Error).message}`);
  }
}

/**
 * Reads a sitemap (XML) with htmlparser2 in XML mode: the root element, and the text of each `<loc>` of a
 * `<url>` or `<sitemap>`. The parser neither reads DTDs nor expands entities beyond XML's five, so a
 * document cannot make it do unbounded work. Throws SitemapError for a root that is not `urlset` or
 * `sitemapindex` (HTML, a feed, garbage).
 */
export function parseSitemap(xml: string): Sitemap {
  let root: string | undefined;
  const stack: string[] = [];
  const locations: string[] = [];
  let dropped = 0;
  let text = '';
  const parser = new Parser(
    {
      onopentag(name) {
        const local = name.slice(name.indexOf(':') + 1).toLowerCase();
        if (root === undefined) root = local;
        stack.push(local);
        if (local === 'loc') text = '';
      },
      ontext(chunk) {
        if (stack.at(-1) === 'loc') text += chunk;
      },
      onclosetag() {
        const local = stack.pop();
        const parent = stack.at(-1);
        if (local === 'loc' && (parent === 'url' || parent === 'sitemap')) {
          const loc = text.trim();
          if (loc === '') return;
          if (locations.length < SITEMAP_MAX_URLS) locations.push(loc);
          else dropped++;
        }
      },
    },
    { xmlMode: true, decodeEntities: true },
  );
  parser.write(xml);
  parser.end();
  if (root !== 'urlset' && root !== 'sitemapindex') {
    throw new SitemapError(
      root === undefined ? 'not a sitemap: no XML element' : `not a sitemap: the root element is <${root}>`,
    );
  }
  return { kind: root, locations, dropped };
}

/** The `Sitemap:` lines of a robots.txt (case-insensitive field name, any order). */
export function robotsSitemaps(robotsTxt: string): string[] {
  const out: string[] = [];
  for (const line of robotsTxt.split(/\r?\n/)) {
    const match = /^\s*sitemap\s*:\s*(\S+)/i.exec(line);
    if (match) out.push(match[1]!);
  }
  return out;
}
