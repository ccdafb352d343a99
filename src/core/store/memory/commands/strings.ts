import { formatScore } from '../../reply.js';
import type { Reply } from '../../types.js';
import type { MemoryEngine } from '../engine.js';
import { float, int, stringOf, type Handler } from '../values.js';

// String values: GET/SET and friends, counters, and the string-encoded HyperLogLog and bitmaps.

function popcount(byte: number): number {
  let b = byte;
  let c = 0;
  while (b) {
    c += b & 1;
    b >>= 1;
  }
  return c;
}

function incrBy(e: MemoryEngine, key: string, by: number): Reply {
  const current = stringOf(e.lookup(key));
  const base = current === null ? 0 : int(current);
  const next = base + by;
  e.put(key, { t: 'string', v: String(next) }, true);
  return next;
}

export const STRING_COMMANDS: Record<string, Handler> = {
  GET: (e, [key]) => stringOf(e.lookup(key!)),
  MGET: (e, keys) =>
    keys.map((k) => {
      const v = e.lookup(k);
      return v && v.t === 'string' ? v.v : null;
    }),
  SET: (e, [key, value, ...opts]) => {
    let expireMs: number | undefined;
    let nx = false;
    let xx = false;
    for (let i = 0; i < opts.length; i++) {
      const o = opts[i]!.toUpperCase();
      if (o === 'EX') expireMs = int(opts[++i]) * 1000;
      else if (o === 'PX') expireMs = int(opts[++i]);
      else if (o === 'NX') nx = true;
      else if (o === 'XX') xx = true;
      else throw new Error('ERR syntax error');
    }
    const exists = e.lookup(key!) !== undefined;
    if ((nx && exists) || (xx && !exists)) return null;
    e.put(key!, { t: 'string', v: value! });
    if (expireMs !== undefined) e.setExpiry(key!, e.now() + expireMs);
    return 'OK';
  },
  GETDEL: (e, [key]) => {
    const value = stringOf(e.lookup(key!));
    if (value !== null) e.remove(key!);
    return value;
  },
  MSET: (e, args) => {
    if (args.length === 0 || args.length % 2 !== 0)
      throw new Error("ERR wrong number of arguments for 'mset' command");
    for (let i = 0; i < args.length; i += 2) e.put(args[i]!, { t: 'string', v: args[i + 1]! });
    return 'OK';
  },
  INCR: (e, [key]) => incrBy(e, key!, 1),
  DECR: (e, [key]) => incrBy(e, key!, -1),
  INCRBY: (e, [key, by]) => incrBy(e, key!, int(by)),
  INCRBYFLOAT: (e, [key, by]) => {
    const current = stringOf(e.lookup(key!));
    const next = (current === null ? 0 : float(current)) + float(by);
    e.put(key!, { t: 'string', v: formatScore(next) }, true);
    return formatScore(next);
  },
  PFADD: (e, [key, ...elements]) => {
    const existed = e.lookup(key!) !== undefined;
    const set = e.container(key!, 'hll').v;
    const before = set.size;
    for (const el of elements) set.add(el);
    return set.size !== before || !existed ? 1 : 0;
  },
  PFCOUNT: (e, keys) => {
    const union = new Set<string>();
    for (const k of keys) for (const el of e.typed(k, 'hll')?.v ?? []) union.add(el);
    return union.size;
  },
  SETBIT: (e, [key, offsetText, bitText]) => {
    const offset = int(offsetText);
    const bit = int(bitText);
    if (bit !== 0 && bit !== 1) throw new Error('ERR bit is not an integer or out of range');
    const current = e.typed(key!, 'bits')?.v ?? new Uint8Array(0);
    const byte = offset >> 3;
    const bytes = current.length > byte ? current : new Uint8Array(byte + 1);
    if (bytes !== current) bytes.set(current);
    const mask = 0x80 >> (offset & 7);
    const old = bytes[byte]! & mask ? 1 : 0;
    bytes[byte] = bit ? bytes[byte]! | mask : bytes[byte]! & ~mask;
    e.put(key!, { t: 'bits', v: bytes }, true);
    return old;
  },
  BITCOUNT: (e, [key]) => {
    const v = e.lookup(key!);
    if (!v) return 0;
    const bytes = v.t === 'bits' ? v.v : Buffer.from(stringOf(v) ?? '', 'utf8');
    let n = 0;
    for (const b of bytes) n += popcount(b);
    return n;
  },
};
