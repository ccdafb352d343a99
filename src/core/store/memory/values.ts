// The values the memory engine keeps per key, and the parsing and errors Redis applies to them.
import type { Reply } from '../types.js';
import type { SortedSet } from './sorted-set.js';
import type { MemoryEngine } from './engine.js';

export type Value =
  | { t: 'string'; v: string }
  | { t: 'hll'; v: Set<string> }
  | { t: 'bits'; v: Uint8Array }
  | { t: 'set'; v: Set<string> }
  | { t: 'zset'; v: SortedSet }
  | { t: 'list'; v: string[] }
  | { t: 'hash'; v: Map<string, string> };

export type Kind = Value['t'];

/** One command: the engine and the arguments as strings. */
export type Handler = (engine: MemoryEngine, args: string[]) => Reply;

export const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
const NOT_INTEGER = 'ERR value is not an integer or out of range';

export function int(text: string | undefined): number {
  const n = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isInteger(n)) throw new Error(NOT_INTEGER);
  return n;
}

export function float(text: string | undefined): number {
  const n = text === '+inf' || text === 'inf' ? Infinity : text === '-inf' ? -Infinity : Number(text);
  if (text === undefined || Number.isNaN(n)) throw new Error('ERR value is not a valid float');
  return n;
}

/** The type TYPE and SCAN TYPE report (HyperLogLogs and bitmaps are strings to Redis). */
export function typeName(v: Value): string {
  return v.t === 'hll' || v.t === 'bits' ? 'string' : v.t;
}

export function stringOf(v: Value | undefined): string | null {
  if (v === undefined) return null;
  if (v.t === 'string') return v.v;
  if (v.t === 'bits') return Buffer.from(v.v).toString('latin1');
  if (v.t === 'hll') return `HYLL:${v.v.size}`;
  throw new Error(WRONGTYPE);
}
