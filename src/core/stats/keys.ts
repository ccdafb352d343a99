import { randomBytes } from 'node:crypto';

/** `YYYY-mm-dd_HH:MM:SS` in UTC, the suffix the original puts on rolled keys (`%Y-%m-%d_%H:%M:%S`). */
export function formatWindowDate(startTime: number): string {
  const iso = new Date(Math.floor(startTime) * 1000).toISOString(); // 2015-09-19T13:59:36.000Z
  return `${iso.slice(0, 10)}_${iso.slice(11, 19)}`;
}

/** The key a rolled counter writes during the window starting at `startTime`. */
export function rolledKey(key: string, startTime: number): string {
  return `${key}:${formatWindowDate(startTime)}`;
}

/** Start of the window holding `now`: whole seconds, floored to a multiple of `window`, as the original. */
export function alignWindowStart(now: number, window: number): number {
  const t = Math.trunc(now);
  return t - (t % window);
}

/** Matches exactly the rolled keys of `key` (not other keys that merely share the prefix). */
export function rolledKeyPattern(key: string): { glob: string; exact: RegExp } {
  const glob = `${key.replace(/[*?[\]\\]/g, '\\$&')}:*`;
  const re = key.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return { glob, exact: new RegExp(`^${re}:\\d{4}-\\d{2}-\\d{2}_\\d{2}:\\d{2}:\\d{2}$`) };
}

/** A float timestamp printed the way Python's `str(float)` prints it (always with a decimal point). */
export function formatTimestamp(seconds: number): string {
  return Number.isInteger(seconds) ? `${seconds}.0` : String(seconds);
}

// Distinguishes this process's members from other processes' written at the same instant.
const PROCESS_TAG = randomBytes(4).toString('hex');
let sequence = 0;

/** ZADD arguments (score, member, ...) for `count` hits at `now`. */
export function hitEntries(now: number, count: number): (string | number)[] {
  const out: (string | number)[] = [];
  for (let i = 0; i < count; i++) out.push(now, uniqueMember(now));
  return out;
}

/**
 * A ZSET member for a hit at `now`: the timestamp (what the original stores) plus a suffix unique to
 * this hit, so two hits at the same instant stay two members. Readers only ZCARD and prune by score.
 */
export function uniqueMember(now: number): string {
  sequence = (sequence + 1) % Number.MAX_SAFE_INTEGER;
  return `${formatTimestamp(now)}:${PROCESS_TAG}${sequence.toString(36)}`;
}
