import { defineScript } from '../core/store/script.js';
import type { RedisCall, Reply } from '../core/store/types.js';
import { crawlRecord } from '../core/wire/crawl-fields.js';

/**
 * The Redis Monitor's atomic operations (Lua files under ./lua) and their in-memory twins.
 *
 * The in-memory engine has no ZSCAN/HSCAN, so the twins page with a rank offset as the cursor: a slice
 * reads `count` members from the offset, and the next cursor skips what the slice kept. Chunk boundaries
 * differ from Redis's, the totals and the members left do not (the contract tests check both stores).
 */

interface QueuedCrawlFields {
  appid?: unknown;
  crawlid?: unknown;
  priority?: unknown;
  expires?: unknown;
  meta?: unknown;
}

/** The crawl fields of a queue member (see crawlRecord: any `meta` table replaces the member, as in the Lua). */
function crawlFields(raw: unknown): QueuedCrawlFields | undefined {
  return crawlRecord(raw, { anyMetaTable: true });
}

function literalMiss(raw: string, argv: string[], quoted: boolean): boolean {
  if (argv[4] !== '1') return false;
  const q = quoted ? '"' : '';
  if (!raw.includes(`${q}${argv[2]}${q}`)) return true;
  return argv[3] !== '' && !raw.includes(`${q}${argv[3]}${q}`);
}

/** Emulated ZSCAN page: members from rank `cursor`. */
function zpage(
  call: RedisCall,
  key: string,
  cursor: string,
  count: string,
): { members: string[]; size: number } {
  const start = Number(cursor);
  const size = Number(call('ZCARD', key));
  const members = call('ZRANGE', key, start, start + Math.max(1, Number(count)) - 1) as string[];
  return { members, size };
}

function nextCursor(start: number, read: number, kept: number, size: number): string {
  return start + read >= size ? '0' : String(start + kept);
}

/** Compares two strings by their UTF-8 bytes, as crawl-tally.lua's `before`. */
function bytewise(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** See lua/crawl-tally.lua. */
export const crawlTally = defineScript({
  name: 'redis-monitor-crawl-tally',
  numKeys: 1,
  file: new URL('./lua/crawl-tally.lua', import.meta.url),
  memory: (call, [key], argv): Reply => {
    const [cursor, count, appid, crawlid] = argv as [string, string, string, string];
    const { members, size } = zpage(call, key!, cursor, count);
    const groups = new Map<string, { total: number; high?: number; low?: number; expires?: number }>();
    for (const raw of members) {
      if (literalMiss(raw, argv, true)) continue;
      const item = crawlFields(raw);
      if (!item) continue;
      const cid = item.crawlid;
      if (item.appid !== appid || typeof cid !== 'string' || (crawlid !== '' && cid !== crawlid)) continue;
      let g = groups.get(cid);
      if (!g) {
        g = { total: 0 };
        groups.set(cid, g);
      }
      g.total++;
      const e = item.expires;
      if (typeof e === 'number' && e !== 0 && (g.expires === undefined || e > g.expires)) g.expires = e;
      const p = item.priority;
      if (typeof p === 'number') {
        if (g.high === undefined || p > g.high) g.high = p;
        if (g.low === undefined || p < g.low) g.low = p;
      }
    }
    const out: Reply[] = [nextCursor(Number(cursor), members.length, members.length, size), members.length];
    for (const [cid, g] of [...groups].sort(([a], [b]) => bytewise(a, b))) {
      out.push(
        cid,
        g.total,
        g.high === undefined ? '' : String(g.high),
        g.low === undefined ? '' : String(g.low),
      );
      out.push(g.expires === undefined ? '' : String(g.expires));
    }
    return out;
  },
});

/** See lua/crawl-purge.lua. */
export const crawlPurge = defineScript({
  name: 'redis-monitor-crawl-purge',
  numKeys: 1,
  file: new URL('./lua/crawl-purge.lua', import.meta.url),
  memory: (call, [key], argv): Reply => {
    const [cursor, count, appid, crawlid] = argv as [string, string, string, string];
    const { members, size } = zpage(call, key!, cursor, count);
    const doomed = members.filter((raw) => {
      if (literalMiss(raw, argv, true)) return false;
      const item = crawlFields(raw);
      return item !== undefined && item.appid === appid && item.crawlid === crawlid;
    });
    const removed = doomed.length > 0 ? Number(call('ZREM', key!, ...doomed)) : 0;
    return [
      nextCursor(Number(cursor), members.length, members.length - removed, size),
      members.length,
      removed,
    ];
  },
});

/** See lua/lease-purge.lua. */
export const leasePurge = defineScript({
  name: 'redis-monitor-lease-purge',
  numKeys: 2,
  file: new URL('./lua/lease-purge.lua', import.meta.url),
  memory: (call, [leased, leases], argv): Reply => {
    const [cursor, count, appid, crawlid] = argv as [string, string, string, string];
    const flat = call('HGETALL', leased!) as string[];
    const start = Number(cursor);
    const size = flat.length / 2;
    const page = flat.slice(start * 2, (start + Math.max(1, Number(count))) * 2);
    const doomed: string[] = [];
    for (let i = 0; i + 1 < page.length; i += 2) {
      const raw = page[i + 1]!;
      if (literalMiss(raw, argv, false)) continue;
      let lease: unknown;
      try {
        lease = JSON.parse(raw);
      } catch {
        continue;
      }
      if (typeof lease !== 'object' || lease === null) continue;
      const item = crawlFields((lease as { item?: unknown }).item);
      if (item && item.appid === appid && item.crawlid === crawlid) doomed.push(page[i]!);
    }
    let removed = 0;
    if (doomed.length > 0) {
      removed = Number(call('HDEL', leased!, ...doomed));
      call('ZREM', leases!, ...doomed);
    }
    const read = page.length / 2;
    return [nextCursor(start, read, read - removed, size), read, removed];
  },
});

/** See lua/job-done.lua. */
export const jobDone = defineScript({
  name: 'redis-monitor-job-done',
  numKeys: 2,
  file: new URL('./lua/job-done.lua', import.meta.url),
  memory: (call, [job, failures], [value]) => {
    call('DEL', failures!);
    if (call('GET', job!) !== value) return 0;
    call('DEL', job!);
    return 1;
  },
});

/** See lua/job-failed.lua. */
export const jobFailed = defineScript({
  name: 'redis-monitor-job-failed',
  numKeys: 2,
  file: new URL('./lua/job-failed.lua', import.meta.url),
  memory: (call, [job, failures], [value, max, retry]) => {
    if (retry === '1') {
      const count = Number(call('INCR', failures!));
      if (count <= Number(max)) return count;
    }
    call('DEL', failures!);
    if (call('GET', job!) === value) call('DEL', job!);
    return -1;
  },
});
