import { RequestFailure } from '../../core/errors.js';
import type { FetchRequest } from '../fetch/types.js';
import type { QueuedRequest } from '../../core/wire/request-codec.js';
import type { CrawlResult } from '../pipeline/item.js';
import type { DownloadResponse } from '../middleware/types.js';

// What the engine needs from the fetcher and the spider, kept minimal so each side can be tested alone.

/**
 * A request as the engine hands it to the downloader: the fetcher's request with every field set, plus
 * the crawl meta the downloader middlewares read (`meta.proxy`, `meta.useragent`...).
 */
export interface FetchInput extends FetchRequest {
  method: string;
  headers: Record<string, string>;
  body: string;
  cookies: Record<string, string> | string | null;
  userAgent: string | null;
  meta: Record<string, unknown>;
}

/** A response as the engine handles it: the one downloader middlewares see (DownloadResponse). */
export type FetchedPage = DownloadResponse;

export interface PageFetcher {
  fetch(input: FetchInput, signal?: AbortSignal): Promise<FetchedPage>;
  close(): Promise<void>;
}

/** A fetch (or parse) that failed for a known reason; `retryable` ones are tried again up to RETRY_TIMES. */
export type FetchProblem = RequestFailure;

export function isFetchProblem(err: unknown): err is FetchProblem {
  return err instanceof RequestFailure;
}

/** Runs the spider on a page: items to publish and follow-up requests to queue. */
export interface PageParser {
  parse(page: FetchedPage, request: QueuedRequest): AsyncIterable<CrawlResult | QueuedRequest>;
  fingerprint(request: QueuedRequest): string;
  isItem(output: CrawlResult | QueuedRequest): output is CrawlResult;
}
