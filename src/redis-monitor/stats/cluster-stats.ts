import type { Logger } from '../../core/logging/index.js';
import type { Store } from '../../core/store/index.js';
import { redisKeys } from '../../core/wire/keys.js';

type Json = Record<string, unknown>;
type Windows = Record<string, number>;

/** Collects every key matching `pattern` with SCAN (never KEYS), sorted so replies are deterministic. */
async function scanAll(store: Store, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const batch of store.scan(pattern, 1000)) keys.push(...batch);
  return keys.sort();
}

/**
 * The value of one stats key in one pipeline with the others: PFCOUNT for `lifetime` HyperLogLogs, the
 * hits within the window for rolling windows (named by their length in seconds), ZCARD otherwise. Keys of
 * another type (or gone meanwhile) come back undefined.
 */
async function readValues(
  store: Store,
  keys: string[],
  ends: string[],
  now: number,
): Promise<(number | undefined)[]> {
  if (keys.length === 0) return [];
  const pipe = store.pipeline();
  keys.forEach((key, i) => {
    const end = ends[i]!;
    if (end === 'lifetime') pipe.call('PFCOUNT', key);
    else if (/^\d+$/.test(end)) pipe.call('ZCOUNT', key, `(${now - Number(end)}`, '+inf');
    else pipe.call('ZCARD', key);
  });
  const replies = await pipe.exec();
  return replies.map((r) => (typeof r === 'number' ? r : typeof r === 'string' ? Number(r) : undefined));
}

function child(parent: Json, key: string): Json {
  let value = parent[key] as Json | undefined;
  if (!value) parent[key] = value = {};
  return value;
}

/**
 * The Stats API's builders (facts 8.5, seed 2.3.4) over the stats and heartbeat keys of every component:
 * the same reply shapes as the original, read with SCAN and pipelines instead of KEYS and a round trip
 * per key.
 */
export class ClusterStats {
  constructor(
    private readonly store: Store,
    private readonly logger?: Logger,
    private readonly clock: () => number = () => Date.now() / 1000,
  ) {}

  /**
   * `kafka-monitor`, `redis-monitor`, `rest`: `{total, fail, plugins, nodes}` from `stats:<name>:*`;
   * sections without keys are absent. Windows are keyed by their names as strings (`"900"`, `"lifetime"`).
   */
  async componentStats(name: string): Promise<Json> {
    const out: Json = {};
    const keys = await scanAll(this.store, redisKeys.statsPattern(name));
    const counted: { key: string; main: string; end: string }[] = [];
    for (const key of keys) {
      const parts = key.split(':');
      if (parts.length < 4) continue;
      const [, , main, end] = parts as [string, string, string, string];
      if (main === 'self') {
        const nodes = child(out, 'nodes') as Record<string, string[]>;
        (nodes[end] ??= []).push(parts[4] ?? '');
      } else {
        counted.push({ key, main, end });
      }
    }
    const values = await readValues(
      this.store,
      counted.map((c) => c.key),
      counted.map((c) => c.end),
      this.clock(),
    );
    counted.forEach(({ main, end }, i) => {
      const value = values[i];
      if (value === undefined) return;
      const section =
        main === 'total' || main === 'fail' ? child(out, main) : child(child(out, 'plugins'), main);
      section[end] = value;
    });
    return out;
  }

  /**
   * `spider` and `machine` share one scan of `stats:crawler:*`: 6-field keys are response counters
   * (`stats:crawler:<host>:<spider>:<code>:<window>`), 5-field keys are crawler heartbeats.
   */
  async crawlerKeys(): Promise<{ spiders: Json; machines: Json }> {
    const keys = await scanAll(this.store, 'stats:crawler:*:*:*');
    const counters: { parts: string[]; key: string }[] = [];
    const spiders: Json = {};
    const heartbeats = new Map<string, number>();
    for (const key of keys) {
      const parts = key.split(':');
      if (parts.length === 6) counters.push({ parts, key });
      else if (parts.length === 5) heartbeats.set(parts[3]!, (heartbeats.get(parts[3]!) ?? 0) + 1);
      else this.logger?.warning('Unknown crawler stat key', { key });
    }
    const values = await readValues(
      this.store,
      counters.map((c) => c.key),
      counters.map((c) => c.parts[5]!),
      this.clock(),
    );

    const machines: Json = {};
    let total = 0;
    for (const [spider, count] of heartbeats) {
      child(spiders, spider).count = count;
      total += count;
    }
    counters.forEach(({ parts }, i) => {
      const value = values[i];
      if (value === undefined) return;
      const [, , machine, spider, code, end] = parts as [string, string, string, string, string, string];
      const s = child(spiders, spider);
      s.count ??= 0;
      child(s, code)[end] = value;
      const m = child(child(machines, machine), code) as Windows;
      m[end] = (m[end] ?? 0) + value;
    });
    spiders.unique_spider_count = heartbeats.size;
    spiders.total_spider_count = total;
    machines.count = Object.keys(machines).length;
    return { spiders, machines };
  }

  async spiderStats(): Promise<Json> {
    return { spiders: (await this.crawlerKeys()).spiders };
  }

  async machineStats(): Promise<Json> {
    return { machines: (await this.crawlerKeys()).machines };
  }

  /** `queue`: backlog per spider and domain from the sizes of every `*:*:queue` sorted set. */
  async queueStats(): Promise<Json> {
    const keys = (await scanAll(this.store, '*:*:queue')).filter((k) => k.split(':').length >= 3);
    const pipe = this.store.pipeline();
    for (const key of keys) pipe.call('ZCARD', key);
    const sizes = keys.length > 0 ? await pipe.exec() : [];
    const queues: Json = {};
    let totalBacklog = 0;
    keys.forEach((key, i) => {
      const size = sizes[i];
      if (typeof size !== 'number') return;
      const [spider, domain] = key.split(':') as [string, string];
      let entry = queues[`queue_${spider}`] as
        | { spider_backlog: number; num_domains: number; domains: { domain: string; backlog: number }[] }
        | undefined;
      if (!entry) queues[`queue_${spider}`] = entry = { spider_backlog: 0, num_domains: 0, domains: [] };
      entry.spider_backlog += size;
      entry.num_domains += 1;
      entry.domains.push({ domain, backlog: size });
      totalBacklog += size;
    });
    queues.total_backlog = totalBacklog;
    return { queues };
  }

  /**
   * `crawler`: spiders, machines and queues together. The queue section is under **`queue`**, as the
   * original's code has it (its docs say `queues`).
   */
  async crawlerStats(): Promise<Json> {
    const [{ spiders, machines }, { queues }] = await Promise.all([this.crawlerKeys(), this.queueStats()]);
    return { spiders, machines, queue: queues };
  }

  /** `all`: every component, the crawler section as in `crawler`. */
  async allStats(): Promise<Json> {
    const [km, rm, crawler, rest] = await Promise.all([
      this.componentStats('kafka-monitor'),
      this.componentStats('redis-monitor'),
      this.crawlerStats(),
      this.componentStats('rest'),
    ]);
    return { 'kafka-monitor': km, 'redis-monitor': rm, crawler, rest };
  }

  /** The reply body for a stats type, or undefined for an unknown type. */
  async forType(type: string): Promise<Json | undefined> {
    switch (type) {
      case 'all':
        return this.allStats();
      case 'kafka-monitor':
      case 'redis-monitor':
      case 'rest':
        return this.componentStats(type);
      case 'crawler':
        return this.crawlerStats();
      case 'spider':
        return this.spiderStats();
      case 'machine':
        return this.machineStats();
      case 'queue':
        return this.queueStats();
      default:
        return undefined;
    }
  }
}
