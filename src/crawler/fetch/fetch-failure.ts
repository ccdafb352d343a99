import { BodyDecodeError, BodyTooLarge } from './body.js';
import { BudgetExceeded } from './byte-budget.js';
import type { Deadline } from './deadline.js';
import { FetchError, toFetchError } from './errors.js';
import { ResolveFailure } from './resolver.js';

// How a download's failure is named: every error met while fetching becomes one FetchError with the
// reason the failure record carries (timeout, dns, blocked-address, too-large, ...), and a URL the
// fetcher will not try is refused up front.

/** The FetchError for `err` met fetching `url`: the deadline's verdict first, then the error's kind. */
export function fetchFailure(
  err: unknown,
  url: string,
  deadline: Deadline,
  timeoutSeconds: number,
): FetchError {
  if (err instanceof FetchError) return err;
  if (deadline.timedOut) {
    return new FetchError('timeout', url, `Timed out fetching ${url} after ${timeoutSeconds} s`, {
      cause: err,
    });
  }
  if (deadline.callerAborted)
    return new FetchError('aborted', url, `Fetch of ${url} was aborted`, { cause: err });
  if (err instanceof ResolveFailure) {
    return err.kind === 'blocked'
      ? new FetchError('blocked-address', url, `Refused ${url}: ${err.message}`, { cause: err })
      : new FetchError('dns', url, `DNS lookup failed for ${url}: ${err.message}`, { cause: err });
  }
  if (err instanceof BodyTooLarge) {
    return new FetchError(
      'too-large',
      url,
      `Cancelled ${url}: body larger than DOWNLOAD_MAXSIZE (${err.limit} bytes)`,
      { cause: err },
    );
  }
  if (err instanceof BudgetExceeded) {
    return new FetchError('too-large', url, `Cancelled ${url}: ${err.message} (DOWNLOAD_MAXSIZE_TOTAL)`, {
      cause: err,
    });
  }
  if (err instanceof BodyDecodeError) {
    return new FetchError('network', url, `Failed ${url}: ${err.message}`, { cause: err });
  }
  return toFetchError(err, url);
}

/** Parses an absolute (or `base`-relative) http(s) URL, or throws the matching FetchError. */
export function parseHttpUrl(input: string, base?: URL): URL {
  let url: URL;
  try {
    url = new URL(input, base);
  } catch (err) {
    const where = base ? ` (redirect from ${base.href})` : '';
    throw new FetchError('invalid-url', input, `Invalid URL ${JSON.stringify(input)}${where}`, {
      cause: err,
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new FetchError(
      'unsupported-scheme',
      url.href,
      `Refused ${url.href}: only http and https are fetched, not ${url.protocol.slice(0, -1)}`,
    );
  }
  if (url.hostname === '') throw new FetchError('invalid-url', url.href, `Invalid URL ${url.href}: no host`);
  return url;
}
