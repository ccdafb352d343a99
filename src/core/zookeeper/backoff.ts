// The shared backoff (250 ms doubling to 5 s, 20 % jitter) lives in core; kept here for existing imports.
export { backoffDelay } from '../backoff.js';
