import { isFetchProblem } from './ports.js';

/**
 * The failure an error stands for when retrying cannot change it, or undefined for an unexpected error:
 * known problems that say they are not retryable (e.g. a crawl's invalid `allow_regex`, reason
 * `bad-regex`), and text too long for a JavaScript string (V8's limit, about 512 MiB).
 */
export function definiteFailure(err: unknown): { reason: string; message: string } | undefined {
  if (isFetchProblem(err) && !err.retryable) return { reason: err.reason, message: err.message };
  if ((err as { code?: unknown } | null)?.code === 'ERR_STRING_TOO_LONG') {
    return { reason: 'too-large', message: `Body too long to decode: ${(err as Error).message}` };
  }
  if (err instanceof RangeError && /string length/i.test(err.message)) {
    return { reason: 'too-large', message: `Body too long to decode: ${err.message}` };
  }
  return undefined;
}
