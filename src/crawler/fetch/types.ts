import type { CrawlerSettings } from '../settings.js';

export interface FetchRequest {
  url: string;
  /** Default GET. */
  method?: string;
  /** Applied over DEFAULT_REQUEST_HEADERS and the User-Agent (names are case-insensitive). */
  headers?: Record<string, string>;
  /** Sent as the request body; empty or undefined: none. */
  body?: string;
  /**
   * Sent as one Cookie header; a string is split into `name=value` pairs as the original's parse_cookie.
   * Null or undefined: none.
   */
  cookies?: Record<string, string> | string | null;
  /** Replaces USER_AGENT for this request; null or undefined keeps USER_AGENT. */
  userAgent?: string | null;
  /** This request's proxy (`meta.proxy`); null or undefined: PROXY, else HTTP(S)_PROXY unless NO_PROXY. */
  proxy?: string | null;
}

export interface FetchResponse {
  /** The URL as requested. */
  readonly url: string;
  /** The URL that answered, after redirects. */
  readonly finalUrl: string;
  readonly status: number;
  readonly statusText: string;
  /** Lower-case names. Content-Encoding is removed once the body has been decoded (as Scrapy does). */
  readonly headers: Record<string, string[]>;
  /** The headers sent on the final hop (lower-case names). */
  readonly requestHeaders: Record<string, string[]>;
  /** After Content-Encoding decoding. */
  readonly body: Buffer;
  /** WHATWG name of the text encoding: HTTP charset > BOM > meta > 'utf-8'. Computed on first use. */
  readonly encoding: string;
  /** `body` decoded with `encoding` (invalid bytes become U+FFFD). Computed on first use. */
  readonly text: string;
  /** The URLs that answered with a redirect, in order (Scrapy's `redirect_urls`); empty when none. */
  readonly redirects: string[];
  /** From the call to the end of the body, including redirects and robots.txt waits. */
  readonly elapsedMs: number;
}

/** The crawler settings the fetcher reads. */
export type FetcherSettings = Pick<
  CrawlerSettings,
  | 'CONCURRENT_REQUESTS_PER_DOMAIN'
  | 'DOWNLOAD_TIMEOUT'
  | 'DOWNLOAD_MAXSIZE'
  | 'DOWNLOAD_WARNSIZE'
  | 'DOWNLOAD_MAXSIZE_TOTAL'
  | 'KEEPALIVE_MAX_ORIGINS'
  | 'USER_AGENT'
  | 'DEFAULT_REQUEST_HEADERS'
  | 'ROBOTSTXT_OBEY'
  | 'REDIRECT_ENABLED'
  | 'REDIRECT_MAX_TIMES'
  | 'DNSCACHE_ENABLED'
  | 'ALLOWED_ADDRESSES'
  | 'DNS_OVERRIDES'
  | 'PROXY'
>;
