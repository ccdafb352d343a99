import { EventEmitter } from 'node:events';
import type { Arg, Reply } from '../types.js';
import { formatScore } from '../reply.js';
import { globToRegExp } from './glob.js';
import { parseBound, SortedSet } from './sorted-set.js';

type Value =
  | { t: 'string'; v: string }
  | { t: 'hll'; v: Set<string> }
  | { t: 'bits'; v: Uint8Array }
  | { t: 'set'; v: Set<string> }
  | { t: 'zset'; v: SortedSet }
  | { t: 'list'; v: string[] }
  | { t: 'hash'; v: Map<string, string> };

type Kind = Value['t'];

const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
const NOT_INTEGER = 'ERR value is not an integer or out of range';

function int(text: string | undefined): number {
  const n = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isInteger(n)) throw new Error(NOT_INTEGER);
  return n;
}

function float(text: string | undefined): number {
  const n = text === '+inf' || text === 'inf' ? Infinity : text === '-inf' ? -Infinity : Number(text);
  if (text === undefined || Number.isNaN(n)) throw new Error('ERR value is not a valid float');
  return n;
}

function popcount(byte: number): number {
  let b = byte;
  let c = 0;
  while (b) {
    c += b & 1;
    b >>= 1;
  }
  return c;
}

type Handler = (engine: MemoryEngine, args: string[]) => Reply;

/**
 * An in-process interpreter for the Redis commands the project uses, with Redis's reply shapes, type
 * errors and key expiry. Single-threaded, so every command (and every script built on `exec`) is atomic.
 * Emits `push:<key>` when a list grows so blocking pops can wake up.
 */
export class MemoryEngine extends EventEmitter {
  private readonly data = new Map<string, Value>();
  private readonly expiries = new Map<string, number>();
  private readonly scans = new Map<number, string[]>();
  private nextCursor = 1;

  constructor(readonly now: () => number = () => performance.timeOrigin + performance.now()) {
    super();
    this.setMaxListeners(0);
  }

  exec(command: string, args: Arg[]): Reply {
    const handler = COMMANDS[command.toUpperCase()];
    if (!handler) throw new Error(`ERR unknown command '${command}'`);
    return handler(
      this,
      args.map((a) => (typeof a === 'number' ? formatScore(a) : a)),
    );
  }

  // ---- key space -------------------------------------------------------------------------------------

  lookup(key: string): Value | undefined {
    const at = this.expiries.get(key);
    if (at !== undefined && at <= this.now()) {
      this.data.delete(key);
      this.expiries.delete(key);
      return undefined;
    }
    return this.data.get(key);
  }

  typed<K extends Kind>(key: string, kind: K): Extract<Value, { t: K }> | undefined {
    const v = this.lookup(key);
    if (v === undefined) return undefined;
    if (v.t !== kind) throw new Error(WRONGTYPE);
    return v as Extract<Value, { t: K }>;
  }

  /** Gets or creates a container value of the given kind. */
  container<K extends 'set' | 'zset' | 'list' | 'hash' | 'hll'>(
    key: string,
    kind: K,
  ): Extract<Value, { t: K }> {
    const existing = this.typed(key, kind);
    if (existing) return existing;
    const fresh = (
      kind === 'set' || kind === 'hll'
        ? { t: kind, v: new Set<string>() }
        : kind === 'zset'
          ? { t: kind, v: new SortedSet() }
          : kind === 'list'
            ? { t: kind, v: [] as string[] }
            : { t: kind, v: new Map<string, string>() }
    ) as Extract<Value, { t: K }>;
    this.data.set(key, fresh);
    return fresh;
  }

  /** Redis deletes containers that become empty. */
  dropIfEmpty(key: string): void {
    const v = this.data.get(key);
    if (!v) return;
    const size =
      v.t === 'set' || v.t === 'hll' || v.t === 'hash' || v.t === 'zset'
        ? v.v.size
        : v.t === 'list'
          ? v.v.length
          : 1;
    if (size === 0) this.remove(key);
  }

  put(key: string, value: Value, keepTtl = false): void {
    this.data.set(key, value);
    if (!keepTtl) this.expiries.delete(key);
  }

  remove(key: string): boolean {
    const existed = this.lookup(key) !== undefined;
    this.data.delete(key);
    this.expiries.delete(key);
    return existed;
  }

  setExpiry(key: string, atMs: number): boolean {
    if (this.lookup(key) === undefined) return false;
    if (atMs <= this.now()) this.remove(key);
    else this.expiries.set(key, atMs);
    return true;
  }

  expiryOf(key: string): number | undefined {
    return this.expiries.get(key);
  }

  scan(cursor: number, match: RegExp | null, count: number, type: string | null): [number, string[]] {
    let snapshot = cursor === 0 ? [...this.data.keys()] : this.scans.get(cursor);
    this.scans.delete(cursor);
    if (!snapshot) snapshot = [];
    const batch = snapshot.splice(0, Math.max(1, count));
    const keys = batch.filter((k) => {
      const v = this.lookup(k);
      if (v === undefined) return false;
      if (match && !match.test(k)) return false;
      return type === null || typeName(v) === type;
    });
    if (snapshot.length === 0) return [0, keys];
    const next = this.nextCursor++;
    this.scans.set(next, snapshot);
    // Abandoned iterations must not pile up.
    if (this.scans.size > 256) this.scans.delete(this.scans.keys().next().value!);
    return [next, keys];
  }

  flush(): void {
    this.data.clear();
    this.expiries.clear();
    this.scans.clear();
  }

  get size(): number {
    return this.data.size;
  }
}

function typeName(v: Value): string {
  return v.t === 'hll' || v.t === 'bits' ? 'string' : v.t;
}

function stringOf(v: Value | undefined): string | null {
  if (v === undefined) return null;
  if (v.t === 'string') return v.v;
  if (v.t === 'bits') return Buffer.from(v.v).toString('latin1');
  if (v.t === 'hll') return `HYLL:${v.v.size}`;
  throw new Error(WRONGTYPE);
}

function incrBy(e: MemoryEngine, key: string, by: number): Reply {
  const current = stringOf(e.lookup(key));
  const base = current === null ? 0 : int(current);
  const next = base + by;
  e.put(key, { t: 'string', v: String(next) }, true);
  return next;
}

function zrangeReply(items: { member: string; score: number }[], withScores: boolean): Reply {
  return withScores ? items.flatMap((i) => [i.member, formatScore(i.score)]) : items.map((i) => i.member);
}

function scoreRange(
  e: MemoryEngine,
  key: string,
  min: string,
  max: string,
  opts: string[],
  reverse: boolean,
): Reply {
  let withScores = false;
  let offset = 0;
  let count = -1;
  for (let i = 0; i < opts.length; i++) {
    const o = opts[i]!.toUpperCase();
    if (o === 'WITHSCORES') withScores = true;
    else if (o === 'LIMIT') {
      offset = int(opts[++i]);
      count = int(opts[++i]);
    } else throw new Error('ERR syntax error');
  }
  const z = e.typed(key, 'zset');
  let items = z ? z.v.rangeByScore(parseBound(min), parseBound(max)) : [];
  if (reverse) items.reverse();
  items = items.slice(offset, count < 0 ? undefined : offset + count);
  return zrangeReply(items, withScores);
}

function listPush(e: MemoryEngine, key: string, values: string[], left: boolean): Reply {
  const list = e.container(key, 'list').v;
  for (const v of values) {
    if (left) list.unshift(v);
    else list.push(v);
  }
  e.emit(`push:${key}`);
  return list.length;
}

function listPop(e: MemoryEngine, key: string, left: boolean): Reply {
  const list = e.typed(key, 'list');
  if (!list) return null;
  const v = left ? list.v.shift() : list.v.pop();
  e.dropIfEmpty(key);
  return v ?? null;
}

function ttl(e: MemoryEngine, key: string, unitMs: number): Reply {
  if (e.lookup(key) === undefined) return -2;
  const at = e.expiryOf(key);
  if (at === undefined) return -1;
  return Math.max(0, Math.round((at - e.now()) / unitMs));
}

const COMMANDS: Record<string, Handler> = {
  PING: () => 'PONG',
  TIME: (e) => {
    const ms = e.now();
    const sec = Math.floor(ms / 1000);
    return [String(sec), String(Math.floor((ms - sec * 1000) * 1000))];
  },
  FLUSHDB: (e) => {
    e.flush();
    return 'OK';
  },
  DBSIZE: (e) => e.size,
  // Pub/sub within the engine: MemoryStore.subscribe listens for these events.
  PUBLISH: (e, [channel, message]) => {
    const event = `message:${channel!}`;
    const receivers = e.listenerCount(event);
    e.emit(event, message);
    return receivers;
  },

  // ---- strings -----------------------------------------------------------------------------------
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
  DEL: (e, keys) => keys.filter((k) => e.remove(k)).length,
  EXISTS: (e, keys) => keys.filter((k) => e.lookup(k) !== undefined).length,
  EXPIRE: (e, [key, sec]) => (e.setExpiry(key!, e.now() + int(sec) * 1000) ? 1 : 0),
  PEXPIRE: (e, [key, ms]) => (e.setExpiry(key!, e.now() + int(ms)) ? 1 : 0),
  TTL: (e, [key]) => ttl(e, key!, 1000),
  PTTL: (e, [key]) => ttl(e, key!, 1),
  PERSIST: (e, [key]) => {
    const v = e.lookup(key!);
    if (!v || e.expiryOf(key!) === undefined) return 0;
    e.put(key!, v);
    return 1;
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
  TYPE: (e, [key]) => {
    const v = e.lookup(key!);
    return v ? typeName(v) : 'none';
  },

  // ---- sets --------------------------------------------------------------------------------------
  SADD: (e, [key, ...members]) => {
    const set = e.container(key!, 'set').v;
    let added = 0;
    for (const m of members) if (!set.has(m) && set.add(m)) added++;
    return added;
  },
  SREM: (e, [key, ...members]) => {
    const set = e.typed(key!, 'set');
    if (!set) return 0;
    const removed = members.filter((m) => set.v.delete(m)).length;
    e.dropIfEmpty(key!);
    return removed;
  },
  SISMEMBER: (e, [key, member]) => (e.typed(key!, 'set')?.v.has(member!) ? 1 : 0),
  SMEMBERS: (e, [key]) => [...(e.typed(key!, 'set')?.v ?? [])],
  SCARD: (e, [key]) => e.typed(key!, 'set')?.v.size ?? 0,

  // ---- sorted sets -------------------------------------------------------------------------------
  ZADD: (e, [key, ...rest]) => {
    let nx = false;
    let xx = false;
    let ch = false;
    let i = 0;
    for (; i < rest.length; i++) {
      const o = rest[i]!.toUpperCase();
      if (o === 'NX') nx = true;
      else if (o === 'XX') xx = true;
      else if (o === 'CH') ch = true;
      else break;
    }
    const pairs = rest.slice(i);
    if (pairs.length === 0 || pairs.length % 2 !== 0) throw new Error('ERR syntax error');
    const scores = pairs.filter((_, j) => j % 2 === 0).map(float);
    const zset = e.container(key!, 'zset').v;
    let changed = 0;
    for (let j = 0; j < scores.length; j++) {
      const member = pairs[j * 2 + 1]!;
      const old = zset.score(member);
      if ((nx && old !== undefined) || (xx && old === undefined)) continue;
      const added = zset.add(member, scores[j]!);
      if (added || (ch && old !== scores[j])) changed++;
    }
    e.dropIfEmpty(key!);
    return changed;
  },
  ZREM: (e, [key, ...members]) => {
    const z = e.typed(key!, 'zset');
    if (!z) return 0;
    const removed = members.filter((m) => z.v.remove(m)).length;
    e.dropIfEmpty(key!);
    return removed;
  },
  ZCARD: (e, [key]) => e.typed(key!, 'zset')?.v.size ?? 0,
  ZSCORE: (e, [key, member]) => {
    const s = e.typed(key!, 'zset')?.v.score(member!);
    return s === undefined ? null : formatScore(s);
  },
  ZINCRBY: (e, [key, by, member]) => {
    const z = e.container(key!, 'zset').v;
    const next = (z.score(member!) ?? 0) + float(by);
    z.add(member!, next);
    return formatScore(next);
  },
  ZRANGE: (e, [key, start, stop, ...opts]) => {
    const withScores = opts.some((o) => o.toUpperCase() === 'WITHSCORES');
    const z = e.typed(key!, 'zset');
    return zrangeReply(z ? z.v.rangeByRank(int(start), int(stop)) : [], withScores);
  },
  ZREVRANGE: (e, [key, start, stop, ...opts]) => {
    const withScores = opts.some((o) => o.toUpperCase() === 'WITHSCORES');
    const z = e.typed(key!, 'zset');
    const all = z ? z.v.rangeByRank(0, -1).reverse() : [];
    const n = all.length;
    const from = Math.max(0, int(start) < 0 ? n + int(start) : int(start));
    const to = Math.min(n - 1, int(stop) < 0 ? n + int(stop) : int(stop));
    return zrangeReply(from > to ? [] : all.slice(from, to + 1), withScores);
  },
  ZRANGEBYSCORE: (e, [key, min, max, ...opts]) => scoreRange(e, key!, min!, max!, opts, false),
  ZREVRANGEBYSCORE: (e, [key, max, min, ...opts]) => scoreRange(e, key!, min!, max!, opts, true),
  ZCOUNT: (e, [key, min, max]) =>
    e.typed(key!, 'zset')?.v.rangeByScore(parseBound(min!), parseBound(max!)).length ?? 0,
  ZREMRANGEBYSCORE: (e, [key, min, max]) => {
    const z = e.typed(key!, 'zset');
    if (!z) return 0;
    const n = z.v.removeRangeByScore(parseBound(min!), parseBound(max!));
    e.dropIfEmpty(key!);
    return n;
  },
  ZREMRANGEBYRANK: (e, [key, start, stop]) => {
    const z = e.typed(key!, 'zset');
    if (!z) return 0;
    const n = z.v.removeRangeByRank(int(start), int(stop));
    e.dropIfEmpty(key!);
    return n;
  },
  ZPOPMIN: (e, [key, count]) => {
    const z = e.typed(key!, 'zset');
    if (!z) return [];
    const items = z.v.rangeByRank(0, (count === undefined ? 1 : int(count)) - 1);
    for (const i of items) z.v.remove(i.member);
    e.dropIfEmpty(key!);
    return zrangeReply(items, true);
  },
  ZPOPMAX: (e, [key, count]) => {
    const z = e.typed(key!, 'zset');
    if (!z) return [];
    const items = z.v.rangeByRank(-(count === undefined ? 1 : int(count)), -1).reverse();
    for (const i of items) z.v.remove(i.member);
    e.dropIfEmpty(key!);
    return zrangeReply(items, true);
  },

  // ---- lists -------------------------------------------------------------------------------------
  LPUSH: (e, [key, ...values]) => listPush(e, key!, values, true),
  RPUSH: (e, [key, ...values]) => listPush(e, key!, values, false),
  LPOP: (e, [key]) => listPop(e, key!, true),
  RPOP: (e, [key]) => listPop(e, key!, false),
  LLEN: (e, [key]) => e.typed(key!, 'list')?.v.length ?? 0,
  LRANGE: (e, [key, start, stop]) => {
    const list = e.typed(key!, 'list')?.v ?? [];
    const n = list.length;
    const from = Math.max(0, int(start) < 0 ? n + int(start) : int(start));
    const to = Math.min(n - 1, int(stop) < 0 ? n + int(stop) : int(stop));
    return from > to ? [] : list.slice(from, to + 1);
  },

  // ---- hashes ------------------------------------------------------------------------------------
  HSET: (e, [key, ...pairs]) => {
    if (pairs.length === 0 || pairs.length % 2 !== 0) throw new Error('ERR wrong number of arguments');
    const h = e.container(key!, 'hash').v;
    let added = 0;
    for (let i = 0; i < pairs.length; i += 2) {
      if (!h.has(pairs[i]!)) added++;
      h.set(pairs[i]!, pairs[i + 1]!);
    }
    return added;
  },
  HGET: (e, [key, field]) => e.typed(key!, 'hash')?.v.get(field!) ?? null,
  HMGET: (e, [key, ...fields]) => {
    const h = e.typed(key!, 'hash')?.v;
    return fields.map((f) => h?.get(f) ?? null);
  },
  HGETALL: (e, [key]) => [...(e.typed(key!, 'hash')?.v ?? [])].flat(),
  HINCRBY: (e, [key, field, by]) => {
    const h = e.container(key!, 'hash').v;
    const current = h.get(field!);
    const next = (current === undefined ? 0 : int(current)) + int(by);
    h.set(field!, String(next));
    return next;
  },
  HDEL: (e, [key, ...fields]) => {
    const h = e.typed(key!, 'hash');
    if (!h) return 0;
    const n = fields.filter((f) => h.v.delete(f)).length;
    e.dropIfEmpty(key!);
    return n;
  },
  HLEN: (e, [key]) => e.typed(key!, 'hash')?.v.size ?? 0,

  // ---- hyperloglog (exact here; Redis's estimate is within ~1%) --------------------------------------
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

  // ---- bitmaps -----------------------------------------------------------------------------------
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

  // ---- keyspace ----------------------------------------------------------------------------------
  SCAN: (e, [cursor, ...opts]) => {
    let match: RegExp | null = null;
    let count = 10;
    let type: string | null = null;
    for (let i = 0; i < opts.length; i++) {
      const o = opts[i]!.toUpperCase();
      if (o === 'MATCH') match = globToRegExp(opts[++i]!);
      else if (o === 'COUNT') count = int(opts[++i]);
      else if (o === 'TYPE') type = opts[++i]!.toLowerCase();
      else throw new Error('ERR syntax error');
    }
    const [next, keys] = e.scan(int(cursor), match, count, type);
    return [String(next), keys];
  },
};

export const MEMORY_COMMANDS = Object.keys(COMMANDS);
