import { RequestFailure, type ErrorCode } from '../../core/errors.js';

export type FetchErrorReason =
  | 'blocked-address'
  | 'robots'
  | 'timeout'
  | 'too-large'
  | 'dns'
  | 'connect'
  | 'too-many-redirects'
  | 'unsupported-scheme'
  | 'invalid-url'
  | 'invalid-proxy'
  | 'network'
  // The caller's own signal fired (shutdown); not the URL's fault, and not a final failure either.
  | 'aborted';

const RETRYABLE: ReadonlySet<FetchErrorReason> = new Set(['timeout', 'connect', 'dns', 'network']);

/** The error code of a reason: a timeout or a network failure is not bad input, a refusal is. */
function codeOf(reason: FetchErrorReason): ErrorCode {
  if (reason === 'timeout') return 'SC_TIMEOUT';
  if (reason === 'connect' || reason === 'dns' || reason === 'network' || reason === 'aborted')
    return 'SC_FETCH_FAILED';
  return 'SC_BAD_INPUT';
}

/**
 * A request that produced no response. `reason` is stable for callers to branch on; `retryable` says whether
 * trying again later could help (the retry middleware's test); `code` follows the reason (SC_TIMEOUT,
 * SC_FETCH_FAILED for the network, SC_BAD_INPUT for refusals).
 */
export class FetchError extends RequestFailure {
  declare readonly reason: FetchErrorReason;
  /** The URL that failed: the requested one, or the redirect hop that was refused. */
  readonly url: string;

  /** `retryable` defaults from the reason: true for timeout, connect, dns and network. */
  constructor(
    reason: FetchErrorReason,
    url: string,
    message: string,
    options?: { cause?: unknown; retryable?: boolean },
  ) {
    super(codeOf(reason), reason, message, options?.retryable ?? RETRYABLE.has(reason), options);
    this.url = url;
  }
}

export function isFetchError(err: unknown): err is FetchError {
  return err instanceof FetchError;
}

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);
const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);
const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NODATA', 'ENODATA']);

/** Maps a low-level error (undici, net, dns, tls) onto a FetchError for `url`. */
export function toFetchError(err: unknown, url: string): FetchError {
  if (err instanceof FetchError) return err;
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  const detail = err instanceof Error ? err.message : String(err);
  let reason: FetchErrorReason = 'network';
  if (TIMEOUT_CODES.has(code)) reason = 'timeout';
  else if (DNS_CODES.has(code)) reason = 'dns';
  else if (CONNECT_CODES.has(code) || code.startsWith('ERR_TLS_') || code.includes('CERT'))
    reason = 'connect';
  return new FetchError(reason, url, `Failed ${url}: ${detail}${code ? ` (${code})` : ''}`, { cause: err });
}
