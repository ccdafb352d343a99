import type { FeedValidator } from '../core/wire/feed-validator.js';

/** Most requests one `POST /feed/bulk` call may carry (REST_BODY_LIMIT bounds their bytes). */
export const MAX_BULK_REQUESTS = 1000;

/** The verdict on one request of a bulk call, by its index in the array. */
export type BulkItemResult = { index: number; ok: true } | { index: number; ok: false; error: string };

/**
 * Checks each request of a bulk call on its own with the same validator as `POST /feed`: the valid ones
 * are to be sent (as JSON, in order), the others are reported with their index and cause. The whole call
 * is refused (with the reason) when the body is not an array of 1 to MAX_BULK_REQUESTS requests.
 */
export function checkBulk(
  body: unknown,
  validator: FeedValidator,
): { valid: string[]; results: BulkItemResult[] } | { refused: string } {
  if (!Array.isArray(body)) return { refused: 'the body must be a JSON array of requests' };
  if (body.length === 0) return { refused: 'the array holds no request' };
  if (body.length > MAX_BULK_REQUESTS)
    return { refused: `${body.length} requests, at most ${MAX_BULK_REQUESTS} per call` };
  const valid: string[] = [];
  const results: BulkItemResult[] = body.map((item: unknown, index) => {
    const check = validator.validate(item);
    if (!check.ok) return { index, ok: false, error: check.cause };
    valid.push(JSON.stringify(item));
    return { index, ok: true };
  });
  return { valid, results };
}
