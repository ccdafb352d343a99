import { createRequire } from 'node:module';
import type { Cheerio, CheerioAPI } from 'cheerio/slim';
import type { Element } from 'domhandler';
import { reconstructHeaders } from './headers.js';
import type { CrawlMeta, CrawlRequest } from './types.js';

export interface CrawlResponseInit {
  request: CrawlRequest;
  /** The URL that answered, after redirects; default the request URL. */
  finalUrl?: string;
  status: number;
  /** Response headers, name → values (any name case). */
  headers?: Record<string, string[]>;
  /** The headers actually sent, name → values. */
  requestHeaders?: Record<string, string[]>;
  body: Buffer;
  /** A TextDecoder label (`utf-8`, `cp1252`, `iso-8859-7`...); default utf-8. */
  encoding?: string;
}

type CheerioModule = typeof import('cheerio/slim');

// cheerio costs ~60 ms to import; only spiders that select with CSS pay for it, on first use.
let cheerio: CheerioModule | undefined;
function loadCheerio(): CheerioModule {
  cheerio ??= createRequire(import.meta.url)('cheerio/slim') as CheerioModule;
  return cheerio;
}

function decode(body: Buffer, encoding: string): string {
  let decoder;
  try {
    decoder = new TextDecoder(encoding);
  } catch {
    decoder = new TextDecoder('utf-8');
  }
  return decoder.decode(body);
}

/** A downloaded page as a spider sees it. */
export class CrawlResponse {
  readonly request: CrawlRequest;
  readonly finalUrl: string;
  readonly status: number;
  readonly headers: Record<string, string[]>;
  readonly requestHeaders: Record<string, string[]>;
  readonly body: Buffer;
  readonly encoding: string;

  private decoded: string | undefined;
  private selector: CheerioAPI | undefined;

  constructor(init: CrawlResponseInit) {
    this.request = init.request;
    this.finalUrl = init.finalUrl ?? init.request.url;
    this.status = init.status;
    this.headers = init.headers ?? {};
    this.requestHeaders = init.requestHeaders ?? {};
    this.body = init.body;
    this.encoding = init.encoding ?? 'utf-8';
  }

  /** The request URL (Scrapy's `response.request.url`); `finalUrl` is where redirects ended. */
  get url(): string {
    return this.request.url;
  }

  /** The request's meta: the crawl fields, passed on to every request this page yields. */
  get meta(): CrawlMeta {
    return this.request.meta;
  }

  /** The body decoded with `encoding` (an unknown label falls back to utf-8), decoded once. */
  get text(): string {
    const text = this.decoded ?? decode(this.body, this.encoding);
    this.decoded = text;
    return text;
  }

  /** The first value of a header, any name case. */
  header(name: string): string | undefined {
    const wanted = name.toLowerCase();
    for (const [key, values] of Object.entries(this.headers)) {
      if (key.toLowerCase() === wanted) return values[0];
    }
    return undefined;
  }

  /** Whether the body is worth parsing as markup: HTML, XML, any text, or no declared type. */
  get isMarkup(): boolean {
    const type = this.header('content-type')?.toLowerCase();
    if (type === undefined || type.trim() === '') return true;
    return type.startsWith('text/') || type.includes('html') || type.includes('xml');
  }

  /** A cheerio document of the page (htmlparser2 backend), built on first use. */
  get $(): CheerioAPI {
    const $ = this.selector ?? loadCheerio().load(this.text, { baseURI: this.finalUrl });
    this.selector = $;
    return $;
  }

  /** Elements matching a CSS selector. */
  css(selector: string): Cheerio<Element> {
    // A CSS selector only ever matches elements.
    return this.$(selector) as Cheerio<Element>;
  }

  /** The original's `reconstruct_headers`: `{ Name: [values] }` with Scrapy's title-cased names. */
  reconstructHeaders(): Record<string, string[]> {
    return reconstructHeaders(this.headers);
  }
}
