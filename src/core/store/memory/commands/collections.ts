import type { Reply } from '../../types.js';
import type { MemoryEngine } from '../engine.js';
import { int, type Handler } from '../values.js';

// Sets, lists and hashes.

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

export const COLLECTION_COMMANDS: Record<string, Handler> = {
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
};
