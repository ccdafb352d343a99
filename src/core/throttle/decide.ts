import type { RedisCall } from '../store/types.js';

// The in-memory twin of lua/throttle-decide.lua.

export interface ThrottleArgs {
  window: number;
  limit: number;
  moderate: boolean;
  elastic: boolean;
  buffer: number;
  ready: boolean;
}

export const fixed6 = (n: number): string => n.toFixed(6);

export function throttleNow(call: RedisCall): number {
  const [sec, usec] = call('TIME') as [string, string];
  return Number(sec) + Number(usec) / 1_000_000;
}

/** Reads the six throttle options starting at argv[first] (0-based). */
export function throttleOpts(argv: string[], first: number): ThrottleArgs {
  return {
    window: Number(argv[first]),
    limit: Number(argv[first + 1]),
    moderate: argv[first + 2] === '1',
    elastic: argv[first + 3] === '1',
    buffer: Number(argv[first + 4]),
    ready: argv[first + 5] === '1',
  };
}

/** Null when a hit is allowed now, else [status, seconds until it may be]. */
export function throttleCheck(
  call: RedisCall,
  windowKey: string,
  modKey: string,
  now: number,
  o: ThrottleArgs,
): [string, string] | null {
  if (o.limit <= 0) return ['throttled', '-1'];
  call('ZREMRANGEBYSCORE', windowKey, '-inf', `(${fixed6(now - o.window)}`);
  const count = Number(call('ZCARD', windowKey));
  if (count >= o.limit) {
    const oldest = call('ZRANGE', windowKey, 0, 0, 'WITHSCORES') as string[];
    return ['throttled', fixed6(Number(oldest[1]) + o.window - now)];
  }
  if (o.moderate && o.limit > 1) {
    const last = Number((call('GET', modKey) as string | null) ?? '0') || 0;
    const wait = last + o.window / o.limit - now;
    if (wait > 0 && !(o.elastic && o.ready && o.limit - count > o.buffer)) return ['moderated', fixed6(wait)];
  }
  return null;
}

export function throttleRecord(
  call: RedisCall,
  windowKey: string,
  modKey: string,
  now: number,
  o: ThrottleArgs,
  hitId: string,
): void {
  const nowText = fixed6(now);
  const ttl = Math.max(1, Math.floor(o.window * 2));
  if (o.moderate && o.limit > 1) call('SET', modKey, nowText, 'EX', ttl);
  call('ZADD', windowKey, nowText, `${nowText}:${hitId}`);
  call('EXPIRE', windowKey, ttl);
}
