import { formatScore } from '../../reply.js';
import type { Reply } from '../../types.js';
import type { MemoryEngine } from '../engine.js';
import { parseBound } from '../sorted-set.js';
import { float, int, type Handler } from '../values.js';

// Sorted sets (the queues, throttles and stats windows live in them).

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

export const SORTED_SET_COMMANDS: Record<string, Handler> = {
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
};
