import {
  ClientClosedError,
  ClientOfflineError,
  ConnectionTimeoutError,
  ErrorReply,
  ReconnectStrategyError,
  SocketClosedUnexpectedlyError,
  SocketTimeoutError,
  TimeoutError as RedisTimeoutError,
} from 'redis';
import { ConnectionError, TimeoutError } from '../errors.js';

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);
// Replies of a server that is up but cannot serve yet: loading its data after a restart, refusing writes.
const UNAVAILABLE_REPLIES = /^(LOADING|MISCONF|READONLY|MASTERDOWN|BUSY|TRYAGAIN)\b/;

/**
 * Whether `err` means the store cannot be reached or cannot serve right now (a retry later may succeed), as
 * opposed to a bad command or a bug. Loops use it to back off and log the outage once.
 */
export function isStoreUnavailable(err: unknown): boolean {
  if (
    err instanceof ClientOfflineError ||
    err instanceof ClientClosedError ||
    err instanceof SocketClosedUnexpectedlyError ||
    err instanceof ConnectionTimeoutError ||
    err instanceof SocketTimeoutError ||
    err instanceof ReconnectStrategyError ||
    err instanceof RedisTimeoutError ||
    err instanceof ConnectionError ||
    err instanceof TimeoutError
  )
    return true;
  if (err instanceof ErrorReply) return UNAVAILABLE_REPLIES.test(err.message);
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  return NETWORK_CODES.has(code);
}
