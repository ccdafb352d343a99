import { parse as parseYaml } from 'yaml';
import type { Store } from '../../core/store/index.js';
import { crawlFinished } from '../../core/crawl-status/scripts.js';
import { redisKeys } from '../../core/wire/keys.js';

/** SCAN COUNT hint for every walk of the keyspace: bounded work per call, never KEYS. */
const SCAN_COUNT = 1000;
/** Most crawls listed (the most recently active ones, by the TTL their accounting hash has left). */
const MAX_CRAWLS = 50;
/** The pending count reads at most this many members of one queue, else says "many". */
const PENDING_SCAN_LIMIT = 200;
/** ...and at most this many in all per crawl, so a refresh costs Redis a few milliseconds at most. */
const PENDING_SCAN_BUDGET = 5000;

export interface Component {
  kind: string;
  host: string;
  id: string;
  spider?: string;
  age: number;
}

export interface RateSample {
  t: number;
  pagesPerSec: number;
  failuresPerSec: number;
}

export interface CrawlRow {
  spiderid: string;
  appid: string;
  crawlid: string;
  published: number;
  failed: number;
  /** Requests still queued or leased; null when a queue was too long to count here. */
  pending: number | null;
  finished: boolean;
  failures: { reason: string; count: number; examples: string[] }[];
}

type Reply = unknown;

/** Requests queued cluster-wide, over how many non-empty queues, measured when (ms). */
export interface Backlog {
  total: number;
  queues: number;
  at: number;
}

function pairs(reply: Reply): Record<string, string> {
  if (Array.isArray(reply)) {
    const out: Record<string, string> = {};
    for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = String(reply[i + 1]);
    return out;
  }
  if (reply && typeof reply === 'object' && !(reply instanceof Error)) return reply as Record<string, string>;
  return {};
}

/** One SCAN call: the next cursor and the keys of this step. */
async function scanStep(
  store: Store,
  cursor: string,
  match: string,
  count: number,
): Promise<[string, string[]]> {
  const reply = (await store.call('SCAN', cursor, 'MATCH', match, 'COUNT', count)) as [string, string[]];
  return [String(reply[0]), reply[1] ?? []];
}

async function scanAll(store: Store, match: string, limit = Infinity): Promise<string[]> {
  const keys: string[] = [];
  for await (const batch of store.scan(match, SCAN_COUNT)) {
    keys.push(...batch);
    if (keys.length >= limit) break;
  }
  return keys;
}

/**
 * What the dashboard reads, all from the keys the cluster already writes: heartbeats (`stats:*`), the
 * per-crawl accounting (`crawlstats:*`, `crawlfailures:*`, `crawlfinished:*`), the domain queues, the crawl
 * blacklists and the domain config copy. Every walk is a SCAN with COUNT and every size a ZCARD; the costlier
 * answers are cached for a few seconds and the background samples run only while someone is looking.
 */
export class DashboardData {
  private samples: { t: number; published: number; failed: number }[] = [];
  private rates: RateSample[] = [];
  private backlog: Backlog = { total: 0, queues: 0, at: 0 };
  private lastViewed = 0;
  private timer: NodeJS.Timeout | undefined;
  private backlogRunning = false;
  private sampleRunning = false;
  private cache = new Map<string, { at: number; value: Promise<unknown> }>();

  constructor(
    private readonly store: () => Store | undefined,
    private readonly options: { sampleMs?: number; backlogMs?: number } = {},
  ) {}

  /** Marks the dashboard as viewed; starts the samplers while it is. */
  viewed(): void {
    this.lastViewed = Date.now();
    if (this.timer) return;
    const sampleMs = this.options.sampleMs ?? 2000;
    void this.sample();
    void this.measureBacklog();
    this.timer = setInterval(() => {
      if (Date.now() - this.lastViewed > 60_000) {
        clearInterval(this.timer);
        this.timer = undefined;
        return;
      }
      void this.sample();
      if (Date.now() - this.backlog.at >= (this.options.backlogMs ?? 10_000)) void this.measureBacklog();
    }, sampleMs);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private cached<T>(key: string, ms: number, load: () => Promise<T>): Promise<T> {
    const hit = this.cache.get(key);
    if (hit && Date.now() - hit.at < ms) return hit.value as Promise<T>;
    const value = load();
    this.cache.set(key, { at: Date.now(), value });
    value.catch(() => this.cache.delete(key));
    return value;
  }

  private need(): Store {
    const store = this.store();
    if (!store) throw new Error('Redis is not connected');
    return store;
  }

  async overview(): Promise<{ components: Component[]; rates: RateSample[]; backlog: Backlog }> {
    this.viewed();
    const components = await this.cached('components', 1500, () => this.components());
    return { components, rates: this.rates, backlog: this.backlog };
  }

  /** Live components from their heartbeat keys: kind, host, id, seconds since the last beat. */
  async components(): Promise<Component[]> {
    const store = this.need();
    const keys = (await scanAll(store, 'stats:*')).filter((key) => {
      const parts = key.split(':');
      if (parts.length !== 5 || !/^[0-9a-f]{12}$/.test(parts[4]!)) return false;
      return parts[1] === 'crawler' || parts[2] === 'self';
    });
    if (keys.length === 0) return [];
    const values = await store.mget(keys);
    const now = Date.now() / 1000;
    return keys
      .map((key, i) => {
        const parts = key.split(':');
        const beat = Number(values[i]);
        const crawler = parts[1] === 'crawler';
        return {
          kind: parts[1]!,
          host: crawler ? parts[2]! : parts[3]!,
          id: parts[4]!,
          ...(crawler ? { spider: parts[3]! } : {}),
          age: Number.isFinite(beat) ? Math.max(0, Math.round(now - beat)) : -1,
        };
      })
      .sort(
        (a, b) => a.kind.localeCompare(b.kind) || a.host.localeCompare(b.host) || a.id.localeCompare(b.id),
      );
  }

  /** The crawls with accounting, most recent first, with pending counts, finished flags and failures. */
  crawls(): Promise<CrawlRow[]> {
    this.viewed();
    return this.cached('crawls', 5000, () => this.loadCrawls());
  }

  private async loadCrawls(): Promise<CrawlRow[]> {
    const store = this.need();
    const keys = (await scanAll(store, 'crawlstats:*', 10_000)).filter((k) => k.split(':').length >= 4);
    if (keys.length === 0) return [];
    const ttlPipe = store.pipeline();
    for (const key of keys) ttlPipe.call('TTL', key);
    const ttls = (await ttlPipe.exec()).map(Number);
    const recent = keys
      .map((key, i) => ({ key, ttl: ttls[i] ?? 0 }))
      .sort((a, b) => b.ttl - a.ttl)
      .slice(0, MAX_CRAWLS)
      .map(({ key }) => {
        const [, spiderid, appid, ...rest] = key.split(':');
        return { key, spiderid: spiderid!, appid: appid!, crawlid: rest.join(':') };
      });
    const pipe = store.pipeline();
    for (const c of recent) {
      pipe.call('HGETALL', c.key);
      pipe.call('EXISTS', redisKeys.crawlFinished(c.spiderid, c.appid, c.crawlid));
      pipe.call('HGETALL', redisKeys.crawlFailures(c.spiderid, c.appid, c.crawlid));
    }
    const replies = await pipe.exec();
    const rows: CrawlRow[] = recent.map((c, i) => {
      const stats = pairs(replies[i * 3]);
      const failures = Object.entries(pairs(replies[i * 3 + 2]))
        .map(([reason, count]) => ({ reason, count: Number(count), examples: [] as string[] }))
        .sort((a, b) => b.count - a.count);
      return {
        spiderid: c.spiderid,
        appid: c.appid,
        crawlid: c.crawlid,
        published: Number(stats.published ?? 0),
        failed: Number(stats.failed ?? 0),
        pending: 0,
        finished: Number(replies[i * 3 + 1]) === 1,
        failures,
      };
    });
    // Example URLs and pending counts, in one more round trip.
    const detail = store.pipeline();
    for (const row of rows) {
      for (const failure of row.failures) {
        detail.call(
          'ZREVRANGE',
          redisKeys.crawlFailureExamples(row.spiderid, row.appid, row.crawlid, failure.reason),
          0,
          4,
        );
      }
      if (!row.finished) {
        detail.run(
          crawlFinished,
          [
            `${row.spiderid}:leased`,
            `crawlqueues:${row.spiderid}:${row.appid}:${row.crawlid}`,
            redisKeys.crawlStats(row.spiderid, row.appid, row.crawlid),
            redisKeys.crawlFinished(row.spiderid, row.appid, row.crawlid),
          ],
          [row.appid, row.crawlid, 'check', PENDING_SCAN_LIMIT, PENDING_SCAN_BUDGET, 1],
        );
      }
    }
    const answers = await detail.exec();
    let next = 0;
    for (const row of rows) {
      for (const failure of row.failures) {
        const urls = answers[next++];
        failure.examples = Array.isArray(urls) ? urls.map(String) : [];
      }
      if (!row.finished) {
        const reply = answers[next++];
        const [state, n] = Array.isArray(reply) ? (reply as [string, number?]) : ['unknown'];
        row.pending = state === 'pending' ? Number(n) : state === 'unknown' ? null : 0;
      }
    }
    return rows;
  }

  /**
   * One page of domain queues: a SCAN step from `cursor` and the ZCARD of each queue found (pass the
   * returned cursor back for the next page; '0' when done).
   */
  async domains(
    cursor: string,
    count: number,
  ): Promise<{
    cursor: string;
    domains: { spiderid: string; domain: string; backlog: number }[];
  }> {
    this.viewed();
    const store = this.need();
    const found: string[] = [];
    let next = cursor;
    // A SCAN step may return few or no keys; take a few steps so a page is rarely empty.
    for (let steps = 0; steps < 10 && found.length < count; steps++) {
      const [after, keys] = await scanStep(store, next, '*:*:queue', Math.max(count, 100));
      found.push(...keys.filter((k) => k.split(':').length === 3));
      next = after;
      if (next === '0') break;
    }
    const pipe = store.pipeline();
    for (const key of found) pipe.call('ZCARD', key);
    const sizes = found.length > 0 ? await pipe.exec() : [];
    return {
      cursor: next,
      domains: found.map((key, i) => {
        const [spiderid, domain] = key.split(':');
        return { spiderid: spiderid!, domain: domain!, backlog: Number(sizes[i]) || 0 };
      }),
    };
  }

  /** The domain config in force (throttles, blacklisted domains) and the stopped crawls per spider. */
  config(): Promise<{
    domains: { domain: string; window: number; hits: number; scale?: number }[];
    blacklist: string[];
    stopped: { spiderid: string; crawl: string }[];
    updatedAt: number | null;
  }> {
    return this.cached('config', 2000, async () => {
      const store = this.need();
      const [text, at] = await store.mget([redisKeys.domainConfigCopy, redisKeys.domainConfigCopyAt]);
      type ConfigDoc = {
        domains?: Record<string, { window?: number; hits?: number; scale?: number }>;
        blacklist?: unknown;
      };
      let doc: ConfigDoc;
      try {
        doc = ((text ? parseYaml(text) : {}) as ConfigDoc | null) ?? {};
      } catch {
        doc = {};
      }
      const domains = Object.entries(doc.domains ?? {}).map(([domain, v]) => ({
        domain,
        window: Number(v?.window),
        hits: Number(v?.hits),
        ...(v?.scale !== undefined ? { scale: Number(v.scale) } : {}),
      }));
      const blacklist = Array.isArray(doc.blacklist) ? doc.blacklist.map(String) : [];
      const stopped: { spiderid: string; crawl: string }[] = [];
      for (const key of await scanAll(store, '*:blacklist', 1000)) {
        if (key.split(':').length !== 2) continue;
        // Stopped crawls: a small set (one member per stop request); at most 100 shown per spider.
        const members = (await store.call('SMEMBERS', key)) as string[];
        for (const crawl of members.slice(0, 100)) stopped.push({ spiderid: key.split(':')[0]!, crawl });
      }
      return { domains, blacklist, stopped, updatedAt: at ? Number(at) : null };
    });
  }

  /** Sums the crawls' published and failed counts; the difference to the last sample gives the rates. */
  private async sample(): Promise<void> {
    const store = this.store();
    if (!store || this.sampleRunning) return;
    this.sampleRunning = true;
    try {
      let published = 0;
      let failed = 0;
      for await (const keys of store.scan('crawlstats:*', SCAN_COUNT)) {
        const pipe = store.pipeline();
        for (const key of keys) pipe.call('HMGET', key, 'published', 'failed');
        for (const reply of await pipe.exec()) {
          if (!Array.isArray(reply)) continue;
          published += Number(reply[0]) || 0;
          failed += Number(reply[1]) || 0;
        }
      }
      const t = Date.now();
      const last = this.samples.at(-1);
      this.samples.push({ t, published, failed });
      if (this.samples.length > 2) this.samples.shift();
      if (last) {
        const seconds = Math.max((t - last.t) / 1000, 0.001);
        this.rates.push({
          t: Math.round(t / 1000),
          pagesPerSec: Math.max(0, published - last.published) / seconds,
          failuresPerSec: Math.max(0, failed - last.failed) / seconds,
        });
        if (this.rates.length > 150) this.rates.shift();
      }
    } catch {
      // Redis away: the chart pauses.
    } finally {
      this.sampleRunning = false;
    }
  }

  /** The total backlog: a full SCAN of the queue keys and their ZCARDs, every 10 s at most. */
  private async measureBacklog(): Promise<void> {
    const store = this.store();
    if (!store || this.backlogRunning) return;
    this.backlogRunning = true;
    try {
      let total = 0;
      let queues = 0;
      for await (const keys of store.scan('*:*:queue', SCAN_COUNT)) {
        const wanted = keys.filter((k) => k.split(':').length === 3);
        if (wanted.length === 0) continue;
        const pipe = store.pipeline();
        for (const key of wanted) pipe.call('ZCARD', key);
        for (const n of await pipe.exec()) {
          const size = Number(n) || 0;
          total += size;
          if (size > 0) queues++;
        }
      }
      this.backlog = { total, queues, at: Date.now() };
    } catch {
      // keep the last figure
    } finally {
      this.backlogRunning = false;
    }
  }
}
