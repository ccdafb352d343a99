import type { QueuedRequest } from '../../core/wire/request-codec.js';
import type { CrawlItem } from '../pipeline/item.js';

// What the engine needs from the fetcher and the spider, kept minimal so each side can be tested alone.

export interface FetchInput {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
  cookies: Record<string, string> | string | null;
  userAgent: string | null;
}

export interface FetchedPage {
  url: string;
  finalUrl: string;
  status: number;
  statusText: string;
  headers: Record<string, string[]>;
  requestHeaders: Record<string, string[]>;
  body: Buffer;
  encoding: string;
}

export interface PageFetcher {
  fetch(input: FetchInput, signal?: AbortSignal): Promise<FetchedPage>;
  close(): Promise<void>;
}

/** A fetch that failed for a known reason; `retryable` failures are tried again up to RETRY_TIMES. */
export interface FetchProblem extends Error {
  reason: string;
  retryable: boolean;
}

export function isFetchProblem(err: unknown): err is FetchProblem {
  return (
    err instanceof Error &&
    typeof (err as Partial<FetchProblem>).reason === 'string' &&
    typeof (err as Partial<FetchProblem>).retryable === 'boolean'
  );
}

/** Runs the spider on a page: items to publish and follow-up requests to queue. */
export interface PageParser {
  parse(page: FetchedPage, request: QueuedRequest): AsyncIterable<CrawlItem | QueuedRequest>;
  fingerprint(request: QueuedRequest): string;
  isItem(output: CrawlItem | QueuedRequest): output is CrawlItem;
}
