/**
 * The crawl fields a request carries in `meta` (facts file 6.3): those of the Kafka request, plus what the
 * crawler adds (`curdepth`, `retry_times`). A child request gets every key of its parent's meta, so any
 * key a spider sets travels down the crawl.
 */
export interface CrawlMeta {
  appid?: string;
  crawlid?: string;
  /** The spider type whose queue receives this request; set it to hand a request to another spider. */
  spiderid?: string;
  /** The crawl's seed URL (not this request's URL). */
  url?: string;
  priority?: number;
  maxdepth?: number;
  curdepth?: number;
  domain_max_pages?: number | null;
  allowed_domains?: string[] | null;
  allow_regex?: string[] | null;
  deny_regex?: string[] | null;
  deny_extensions?: string[] | null;
  /** Epoch seconds after which the crawl is not extended; 0: never. */
  expires?: number;
  useragent?: string | null;
  cookie?: string | Record<string, string> | null;
  attrs?: Record<string, unknown> | null;
  ts?: number;
  retry_times?: number;
  [key: string]: unknown;
}

/** A request a spider yields; the scheduler stores it in `<meta.spiderid>:<domain>:queue`. */
export interface CrawlRequest {
  url: string;
  /** Default GET. */
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  cookies?: Record<string, string>;
  meta: CrawlMeta;
  /** Skip the duplicate filter (retries set it). */
  dontFilter?: boolean;
  /** Name of the spider method that parses the response; default `parse`. */
  callback?: string;
}

export interface ItemLink {
  url: string;
  text: string;
}

/** The original's RawResponseItem: one per crawled page, published to `<prefix>.crawled_firehose`. */
export interface CrawlItem {
  appid: string | undefined;
  crawlid: string | undefined;
  /** The request URL. */
  url: string;
  /** The URL that answered, after redirects. */
  response_url: string;
  status_code: number;
  /** Always "OK", as in the original, whatever the status. */
  status_msg: string;
  response_headers: Record<string, string[]>;
  request_headers: Record<string, string[]>;
  body: Buffer;
  links: ItemLink[];
  attrs: Record<string, unknown> | null;
  encoding: string;
  [key: string]: unknown;
}

/** What `parse` may yield. */
export type SpiderOutput = CrawlItem | CrawlRequest;
