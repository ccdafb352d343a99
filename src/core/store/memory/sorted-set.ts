import type { ZMember } from '../types.js';

/** Redis orders sorted-set members by score, then by member bytes. */
function compare(a: ZMember, b: ZMember): number {
  if (a.score !== b.score) return a.score < b.score ? -1 : 1;
  return a.member < b.member ? -1 : a.member > b.member ? 1 : 0;
}

/** A score bound as Redis parses it: `5`, `(5` (exclusive), `-inf`, `+inf`. */
export interface ScoreBound {
  value: number;
  exclusive: boolean;
}

export function parseBound(text: string): ScoreBound {
  const exclusive = text.startsWith('(');
  const body = exclusive ? text.slice(1) : text;
  let value: number;
  if (body === '-inf') value = -Infinity;
  else if (body === '+inf' || body === 'inf') value = Infinity;
  else value = Number(body);
  if (Number.isNaN(value)) throw new Error('ERR min or max is not a float');
  return { value, exclusive };
}

/**
 * A sorted set kept as an ordered array plus a score index. Inserts cost a binary search and a splice,
 * which is fine for the single-process embedded mode.
 */
export class SortedSet {
  private readonly items: ZMember[] = [];
  private readonly scores = new Map<string, number>();

  get size(): number {
    return this.items.length;
  }

  score(member: string): number | undefined {
    return this.scores.get(member);
  }

  /** Returns true when the member is new. */
  add(member: string, score: number): boolean {
    const old = this.scores.get(member);
    if (old !== undefined) {
      if (old === score) return false;
      this.items.splice(this.indexOf({ member, score: old }), 1);
    }
    const entry = { member, score };
    this.items.splice(this.insertionPoint(entry), 0, entry);
    this.scores.set(member, score);
    return old === undefined;
  }

  remove(member: string): boolean {
    const old = this.scores.get(member);
    if (old === undefined) return false;
    this.items.splice(this.indexOf({ member, score: old }), 1);
    this.scores.delete(member);
    return true;
  }

  /** Members between two ranks (negative ranks count from the end), inclusive. */
  rangeByRank(start: number, stop: number): ZMember[] {
    const [from, to] = this.normaliseRanks(start, stop);
    return from > to ? [] : this.items.slice(from, to + 1).map((e) => ({ ...e }));
  }

  rangeByScore(min: ScoreBound, max: ScoreBound): ZMember[] {
    const out: ZMember[] = [];
    for (let i = this.firstAtLeast(min); i < this.items.length; i++) {
      const e = this.items[i]!;
      if (e.score > max.value || (max.exclusive && e.score === max.value)) break;
      out.push({ ...e });
    }
    return out;
  }

  removeRangeByRank(start: number, stop: number): number {
    const [from, to] = this.normaliseRanks(start, stop);
    if (from > to) return 0;
    const removed = this.items.splice(from, to - from + 1);
    for (const e of removed) this.scores.delete(e.member);
    return removed.length;
  }

  removeRangeByScore(min: ScoreBound, max: ScoreBound): number {
    const doomed = this.rangeByScore(min, max);
    for (const e of doomed) this.remove(e.member);
    return doomed.length;
  }

  private normaliseRanks(start: number, stop: number): [number, number] {
    const n = this.items.length;
    let from = start < 0 ? n + start : start;
    let to = stop < 0 ? n + stop : stop;
    if (from < 0) from = 0;
    if (to >= n) to = n - 1;
    return [from, to];
  }

  private firstAtLeast(min: ScoreBound): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const s = this.items[mid]!.score;
      if (s < min.value || (min.exclusive && s === min.value)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private insertionPoint(entry: ZMember): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compare(this.items[mid]!, entry) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private indexOf(entry: ZMember): number {
    return this.insertionPoint(entry);
  }
}
