/**
 * Typed errors with stable codes. Callers branch on `code`, never on message text, and the CLI prints
 * `message` without a stack trace for every ClusterError (they describe bad input or an unreachable
 * dependency, not a bug).
 */
export type ErrorCode =
  | 'SC_SETTINGS_INVALID'
  | 'SC_SETTINGS_FILE'
  | 'SC_REDIS_UNREACHABLE'
  | 'SC_KAFKA_UNREACHABLE'
  | 'SC_ZOOKEEPER_UNREACHABLE'
  | 'SC_SCRIPT_UNKNOWN'
  | 'SC_SCRIPT_FAILED'
  | 'SC_TIMEOUT'
  | 'SC_BAD_INPUT'
  | 'SC_CLOSED'
  | 'SC_EXTENSION_FAILED'
  | 'SC_FETCH_FAILED'
  | 'SC_SERVICES';

export class ClusterError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

/** A setting has a value of the wrong type or out of range, or a settings file cannot be read. */
export class SettingsError extends ClusterError {
  constructor(
    message: string,
    options?: { cause?: unknown; code?: 'SC_SETTINGS_INVALID' | 'SC_SETTINGS_FILE' },
  ) {
    super(options?.code ?? 'SC_SETTINGS_INVALID', message, options);
  }
}

/** A backing service (Redis, Kafka, ZooKeeper) did not answer. */
export class ConnectionError extends ClusterError {
  constructor(
    code: 'SC_REDIS_UNREACHABLE' | 'SC_KAFKA_UNREACHABLE' | 'SC_ZOOKEEPER_UNREACHABLE',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** An operation did not finish within its time limit. */
export class TimeoutError extends ClusterError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SC_TIMEOUT', message, options);
  }
}

/** Input that can never succeed (bad JSON, wrong shape); retrying it is pointless. */
export class BadInputError extends ClusterError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SC_BAD_INPUT', message, options);
  }
}

/**
 * A crawl request that failed for a known reason: a download (timeout, DNS, refused by robots.txt...), a
 * crawl's unusable pattern, a user pipeline or middleware. The crawler retries it when `retryable`, and
 * otherwise ends it with one failure record carrying `reason`. Known by class, not by shape.
 */
export class RequestFailure extends ClusterError {
  constructor(
    code: ErrorCode,
    readonly reason: string,
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** Use of a client after close(). */
export class ClosedError extends ClusterError {
  constructor(what: string) {
    super('SC_CLOSED', `${what} is closed`);
  }
}

export function isClusterError(err: unknown): err is ClusterError {
  return err instanceof ClusterError;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
