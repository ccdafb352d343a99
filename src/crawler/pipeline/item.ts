/**
 * The one result of a request, as item pipelines see it and Kafka gets it: a crawled page (the original's
 * RawResponseItem, made from the spider's CrawlItem), or the record of a request that failed for good.
 */
export interface CrawlResult {
  appid: string;
  crawlid: string;
  url: string;
  response_url: string;
  status_code: number;
  status_msg: string;
  response_headers: Record<string, string[]>;
  request_headers: Record<string, string[]>;
  body: Buffer | string;
  links: { url: string; text: string }[];
  attrs: Record<string, unknown> | null;
  encoding: string;
  /** Set on failure records only: why the request produced no page. */
  error?: { reason: string; message: string };
  [extra: string]: unknown;
}
