import { errorMessage } from './errors.js';
import type { Logger } from './logging/index.js';

/** Exponential backoff: `initialMs · 2^attempt` capped at `maxMs`, minus up to `jitter` of it at random. */
export interface BackoffOptions {
  /** The first delay (default 250 ms). */
  initialMs?: number;
  /** The cap (default 5 s). */
  maxMs?: number;
  /**
   * The share of each delay taken off at random (default 0.2), so that many processes losing the same server
   * do not retry in lock-step. 0 gives the exact doubling.
   */
  jitter?: number;
  /** Replaces Math.random (tests). */
  random?: () => number;
}

/** The delay before retry `attempt` (0-based). */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const initial = options.initialMs ?? 250;
  const max = options.maxMs ?? 5000;
  const jitter = options.jitter ?? 0.2;
  const random = options.random ?? Math.random;
  const base = Math.min(max, initial * 2 ** Math.max(0, Math.min(attempt, 30)));
  return Math.round(base * (1 - jitter * random()));
}

/** A retry loop's backoff state: `next()` after each failure, `reset()` after a success. */
export class Backoff {
  private attempt = 0;

  constructor(private readonly options: BackoffOptions = {}) {}

  /** Failures since the last success. */
  get failures(): number {
    return this.attempt;
  }

  next(): number {
    return backoffDelay(this.attempt++, this.options);
  }

  reset(): void {
    this.attempt = 0;
  }
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects), so loops can stop promptly. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Logs a dependency's outage once rather than once per failed call: the first failure at WARNING (ERROR
 * with `level: 'error'`) with its cause, the rest at DEBUG, and the recovery once at INFO with how long the
 * outage lasted. Loops share one OutageLog per dependency so a process says it once however many notice.
 */
export class OutageLog {
  private since: number | undefined;
  private failuresSeen = 0;

  constructor(
    private readonly logger: Logger,
    /** What is out, as the log lines name it ("Redis"). */
    private readonly what: string,
    private readonly options: { level?: 'warning' | 'error'; now?: () => number } = {},
  ) {}

  get down(): boolean {
    return this.since !== undefined;
  }

  /** A call failed because of the dependency (`err`); `retryInMs` is when the caller tries again. */
  failed(err: unknown, retryInMs?: number): void {
    this.failuresSeen++;
    const cause = errorMessage(err);
    if (this.since !== undefined) {
      this.logger.debug(`${this.what} still unreachable: ${cause}`, { failures: this.failuresSeen });
      return;
    }
    this.since = this.now();
    const message = `${this.what} unreachable (${cause}); retrying with backoff, logged again on recovery`;
    const extras = { error: cause, ...(retryInMs !== undefined ? { retry_in_ms: retryInMs } : {}) };
    if (this.options.level === 'error') this.logger.error(message, extras);
    else this.logger.warning(message, extras);
  }

  /** A call succeeded: logs the recovery when there was an outage. */
  recovered(): void {
    if (this.since === undefined) return;
    const seconds = Math.round((this.now() - this.since) / 100) / 10;
    const failures = this.failuresSeen;
    this.since = undefined;
    this.failuresSeen = 0;
    this.logger.info(`${this.what} reachable again after ${seconds} s`, {
      outage_seconds: seconds,
      failures,
    });
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}
