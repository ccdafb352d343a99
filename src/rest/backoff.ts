import { backoffDelay as coreBackoffDelay, pause } from '../core/backoff.js';
import { TimeoutError } from '../core/errors.js';

/** Reconnection delays: `baseMs · 2^attempt`, capped at `maxMs` (the original: 0.5 s doubling up to 10 s). */
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 10_000 };

/** The exact doubling, no jitter: a REST service is one process, so there is no herd to spread. */
export function backoffDelay(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF): number {
  return coreBackoffDelay(attempt, { initialMs: options.baseMs, maxMs: options.maxMs, jitter: 0 });
}

export { pause };

/** `promise`, or a TimeoutError with `message` after `ms`; a late rejection of `promise` is never left unhandled. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  promise.catch(() => undefined);
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new TimeoutError(message)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
