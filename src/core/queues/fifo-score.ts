import type { RedisCall } from '../store/types.js';

// The in-memory twin of lua/fifo-score.lua.

const FIFO_EPOCH = 1704067200;
const FIFO_TICKS = 35184372088832;

/** The tick of a TIME reply. */
export function fifoTick([sec, usec]: [string, string]): number {
  return Math.floor(((Number(sec) - FIFO_EPOCH) * 1_000_000 + Number(usec)) / 64);
}

export function fifoNowTick(call: RedisCall): number {
  return fifoTick(call('TIME') as [string, string]);
}

/**
 * The score of a new member of `queue` with `priority`. `known` (optional) is kept by the caller for one
 * script call: `queue priority` -> the last tick given out, so many members of one priority cost one
 * ZREVRANGEBYSCORE.
 */
export function fifoScore(
  call: RedisCall,
  queue: string,
  priority: string | number,
  nowTick: number,
  known?: Map<string, number>,
): string {
  const base = -Number(priority);
  // Lua's tonumber gives nil for '' and non-numbers, and negating nil fails the script.
  if (Number.isNaN(base) || (typeof priority === 'string' && priority.trim() === ''))
    throw new Error('attempt to perform arithmetic on a nil value');
  let tick = nowTick;
  const key = `${queue} ${base}`;
  let last = known?.get(key);
  if (last === undefined) {
    const newest = call(
      'ZREVRANGEBYSCORE',
      queue,
      `(${base + 1}`,
      base,
      'WITHSCORES',
      'LIMIT',
      0,
      1,
    ) as string[];
    if (newest[1] !== undefined) last = Math.floor((Number(newest[1]) - base) * FIFO_TICKS + 0.5);
  }
  if (last !== undefined && last >= tick) tick = last + 1;
  known?.set(key, tick);
  return (base + tick / FIFO_TICKS).toPrecision(17);
}
