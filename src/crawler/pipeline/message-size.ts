import type { CrawlResult } from './item.js';

// Kafka refuses a whole produce request when one partition's record batch is over the broker's
// message.max.bytes (the topic's max.message.bytes), so each request must stay under the limit with the
// record format's overhead counted, and a message that cannot fit alone must not be sent at all.

/** A record batch's header (61 bytes in format v2), rounded up. */
export const BATCH_OVERHEAD = 100;
/** One record's framing in format v2 (length, attributes, deltas, key and value lengths, headers), rounded up. */
export const RECORD_OVERHEAD = 40;

/** Whether one message of `bytes` can be sent in a produce request of at most `maxRequestBytes`. */
export function fitsRequest(bytes: number, maxRequestBytes: number): boolean {
  return BATCH_OVERHEAD + RECORD_OVERHEAD + bytes <= maxRequestBytes;
}

/**
 * Cuts `items` into runs, in order, each of which fits in one produce request of `maxRequestBytes`. An
 * item that cannot fit even alone gets a run of its own (the caller made sure there is none).
 */
export function splitByBytes<T>(
  items: readonly T[],
  bytesOf: (item: T) => number,
  maxRequestBytes: number,
): T[][] {
  const runs: T[][] = [];
  let run: T[] = [];
  let size = BATCH_OVERHEAD;
  for (const item of items) {
    const cost = RECORD_OVERHEAD + bytesOf(item);
    if (run.length > 0 && size + cost > maxRequestBytes) {
      runs.push(run);
      run = [];
      size = BATCH_OVERHEAD;
    }
    run.push(item);
    size += cost;
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

/**
 * The record published instead of a page whose message is larger than KAFKA_PRODUCER_MAX_REQUEST_SIZE:
 * the page's own fields (status, headers, links, attrs) with an empty body, `body_truncated: true`, and
 * `error.reason` `too-large` with the sizes, so consumers still see every crawled URL once.
 */
export function tooLargeItem(
  item: CrawlResult,
  messageBytes: number | undefined,
  maxRequestBytes: number,
): CrawlResult {
  const bodyBytes = typeof item.body === 'string' ? Buffer.byteLength(item.body) : item.body.length;
  const size = messageBytes === undefined ? 'longer than a string may be' : `${messageBytes} bytes`;
  return {
    ...item,
    body: '',
    body_truncated: true,
    body_bytes: bodyBytes,
    error: {
      reason: 'too-large',
      message:
        `crawled message ${size} is over KAFKA_PRODUCER_MAX_REQUEST_SIZE (${maxRequestBytes}); ` +
        'the body was dropped',
    },
  };
}
