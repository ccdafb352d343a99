import { randomUUID } from 'node:crypto';
import { createLogger } from '../core/logging/index.js';
import { startTestWeb, type TestWeb } from '../testweb/index.js';
import { startStandalone, type StandaloneCluster } from './cluster.js';

export interface DemoOptions {
  /** Test web sites (default 5) and pages per site (default 30). */
  domains?: number;
  pagesPerDomain?: number;
  /** Print the components' WARNING+ log lines as they happen (default: only when something failed). */
  verbose?: boolean;
  /** Update one progress line in place (a terminal); otherwise print a plain line every few seconds. */
  live?: boolean;
  /** Where to write (default process.stdout). */
  out?: { write(text: string): unknown };
}

/** The demo's throttle: fast enough to finish in seconds, said out loud because it is not the default. */
export const DEMO_THROTTLE = { QUEUE_HITS: 10, QUEUE_WINDOW: 1, QUEUE_MODERATED: false } as const;

const APPID = 'demo';
const SPIDER = 'link';
const CRAWL_TIMEOUT_MS = 60_000;
/** Reply fields around the stats sections. */
const STATS_META = new Set(['stats', 'appid', 'uuid', 'server_time']);

interface Page {
  url: string;
  crawlid: string;
  status: number;
  domain: string;
  error?: { reason: string; message: string };
  at: number;
}

interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Lines for a person: a live progress line on a terminal, plain lines otherwise. */
class Display {
  private shown = false;
  private lastPlain = 0;

  constructor(
    private readonly out: { write(text: string): unknown },
    private readonly live: boolean,
  ) {}

  line(text = ''): void {
    this.clear();
    this.out.write(`${text}\n`);
  }

  /** The progress line: redrawn in place live, else printed at most every 2 s (or when forced). */
  progress(text: string, force = false): void {
    if (this.live) {
      this.out.write(`\r\x1b[2K${text}`);
      this.shown = true;
      return;
    }
    const now = Date.now();
    if (!force && now - this.lastPlain < 2000) return;
    this.lastPlain = now;
    this.out.write(`  ${text}\n`);
  }

  clear(): void {
    if (this.live && this.shown) this.out.write('\r\x1b[2K');
    this.shown = false;
  }
}

/** A Server-Sent Events client for the standalone's `/stream/...` endpoints. */
async function openStream(
  url: string,
  onData: (data: string) => void,
): Promise<{ close(): void; done: Promise<void> }> {
  const controller = new AbortController();
  const response = await fetch(url, {
    headers: { accept: 'text/event-stream' },
    signal: controller.signal,
  });
  if (!response.ok || !response.body) throw new Error(`GET ${url} answered ${response.status}`);
  const body = response.body;
  const done = (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block
            .split('\n')
            .filter((line) => line.startsWith('data:'))
            .map((line) => line.slice(line.startsWith('data: ') ? 6 : 5));
          if (data.length > 0) onData(data.join('\n'));
        }
      }
    } catch {
      // Aborted at the end of the demo.
    }
  })();
  return { close: () => controller.abort(), done };
}

interface FeedAnswer {
  httpStatus: number;
  status?: string;
  data?: unknown;
  error?: unknown;
}

async function feed(base: string, request: Record<string, unknown>): Promise<FeedAnswer> {
  const response = await fetch(`${base}/feed`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request),
  });
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  return { httpStatus: response.status, status: body.status as string, data: body.data, error: body.error };
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
/** A reply value as text (objects as JSON). */
const show = (v: unknown): string => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v));
const lifetime = (v: unknown): unknown => (isObject(v) ? v.lifetime : undefined);

/** One stats section in a line: nodes, lifetime totals per plugin or status code, backlog. */
function statsLine(value: unknown): string {
  if (!isObject(value)) return compact(value, 110);
  const parts: string[] = [];
  if (isObject(value.nodes)) {
    const count = Object.values(value.nodes).reduce<number>(
      (n, ids) => n + (Array.isArray(ids) ? ids.length : 0),
      0,
    );
    parts.push(`${count} node${count === 1 ? '' : 's'}`);
  }
  if (lifetime(value.total) !== undefined) parts.push(`total ${show(lifetime(value.total))}`);
  if (isObject(value.plugins)) {
    const plugins = Object.entries(value.plugins).map(([name, v]) => `${name} ${show(lifetime(v) ?? 0)}`);
    if (plugins.length > 0) parts.push(plugins.join(', '));
  }
  if (isObject(value.spiders)) {
    for (const [name, spider] of Object.entries(value.spiders)) {
      if (!isObject(spider)) continue;
      const codes = Object.entries(spider)
        .filter(([code]) => /^\d{3}$/.test(code))
        .map(([code, v]) => `${code}: ${show(lifetime(v) ?? 0)}`);
      parts.push(
        `spider ${name} (${show(spider.count ?? '?')} running${codes.length ? `, ${codes.join(', ')}` : ''})`,
      );
    }
  }
  if (isObject(value.queue) && value.queue.total_backlog !== undefined)
    parts.push(`backlog ${show(value.queue.total_backlog)}`);
  return parts.length > 0 ? `${parts.join(' · ')} (lifetime counts)` : compact(value, 110);
}

const fmt = (n: number, digits = 1): string => n.toFixed(digits);
const secs = (ms: number): string => `${fmt(ms / 1000)} s`;

function compact(value: unknown, max = 160): string {
  const text = JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * The guided demo: a local multi-domain test web, the standalone cluster in this process, a depth-2
 * crawl fed through `POST /feed`, watched on `/stream/crawled`, with an info request mid-crawl, a stats
 * request, a zookeeper domain-update and a stopped second crawl. Returns true when everything it
 * showed matched what it expected.
 */
export async function runDemo(options: DemoOptions = {}): Promise<boolean> {
  const out = options.out ?? process.stdout;
  const display = new Display(out, options.live ?? false);
  const domains = options.domains ?? 6;
  const pagesPerDomain = options.pagesPerDomain ?? 60;
  const started = Date.now();
  const checks: Check[] = [];
  const check = (name: string, ok: boolean, detail: string): boolean => {
    checks.push({ name, ok, detail });
    display.line(`  ${ok ? '✔' : '✘'} ${name}: ${detail}`);
    return ok;
  };
  const logLines: string[] = [];
  const logger = createLogger({
    name: 'demo',
    level: 'WARNING',
    includeExtra: true,
    destination: {
      write: (chunk: string) => {
        logLines.push(chunk.trimEnd());
        if (options.verbose) display.line(`  [log] ${chunk.trimEnd()}`);
        return true;
      },
    },
  });

  let web: TestWeb | undefined;
  let cluster: StandaloneCluster | undefined;
  let stream: { close(): void; done: Promise<void> } | undefined;
  let progressTimer: NodeJS.Timeout | undefined;
  try {
    display.line(
      'Scrapy Cluster demo — the whole cluster in this process, no Kafka, Redis or ZooKeeper needed',
    );
    display.line();
    web = await startTestWeb({ domains, pagesPerDomain, latencyMs: 15, record: false });
    const hosts = Array.from({ length: domains }, (_, i) => web!.host(i));
    display.line(
      `Test web:  ${domains} sites (${hosts[0]} … ${hosts[domains - 1]}), ${pagesPerDomain} pages each, on 127.0.0.1`,
    );
    cluster = await startStandalone({
      backends: 'memory',
      env: {},
      overrides: {
        ...web.fetcherSettings(),
        ...DEMO_THROTTLE,
        QUEUE_WINDOW_MARGIN: 0,
        SCHEDULER_QUEUE_REFRESH: 0.5,
        KAFKA_PRODUCER_BATCH_LINGER_MS: 5,
        STATS_DUMP: 0,
        WAIT_FOR_RESPONSE_TIME: 10,
        FLASK_LOGGING_ENABLED: false,
      },
      port: 0,
      host: '127.0.0.1',
      logger,
      graceSeconds: 2,
    });
    const base = cluster.url;
    display.line(
      `Cluster:   Kafka Monitor, Redis Monitor, crawler (link spider) and REST on ${base} — in-memory bus and store`,
    );
    display.line(
      `Throttle:  ${DEMO_THROTTLE.QUEUE_HITS} requests per ${DEMO_THROTTLE.QUEUE_WINDOW} s window per domain, unmoderated — demo speed;`,
    );
    display.line(
      '           the default is 10 per 60 s, moderated (polite to real sites). See docs/standalone.md.',
    );
    display.line();

    // Watch the crawled firehose as any client would: Server-Sent Events from the REST service.
    const pages: Page[] = [];
    stream = await openStream(`${base}/stream/crawled`, (data) => {
      try {
        const item = JSON.parse(data) as Record<string, unknown>;
        const url = String(item.url);
        pages.push({
          url,
          crawlid: String(item.crawlid),
          status: Number(item.status_code),
          domain: new URL(url).hostname,
          ...(item.error ? { error: item.error as Page['error'] } : {}),
          at: Date.now(),
        });
      } catch {
        // not a crawl result
      }
    });
    const of = (crawlid: string): Page[] => pages.filter((p) => p.crawlid === crawlid);

    // 1. The main crawl.
    const crawl1 = `demo-${randomUUID().slice(0, 6)}`;
    const seed = web.url(0, '/');
    const expected = web.reachablePages(seed, { maxDepth: 2 });
    const expectedDomains = new Set([...expected.keys()].map((u) => new URL(u).hostname));
    display.line(`1. Crawl ${seed} to depth 2 (crawlid ${crawl1}) — POST ${base}/feed`);
    const fed = await feed(base, { url: seed, appid: APPID, crawlid: crawl1, maxdepth: 2 });
    if (!check('feed accepted', fed.httpStatus === 200 && fed.status === 'SUCCESS', compact(fed)))
      return finish();
    display.line(
      `   expecting ${expected.size} pages on ${expectedDomains.size} sites; watching ${base}/stream/crawled`,
    );
    const fedAt = Date.now();

    const backlog = async (): Promise<string> => {
      const counts = await Promise.all(
        hosts.map(async (h) => [h, await cluster!.store.zcard(`${SPIDER}:${h}:queue`)] as const),
      );
      const busy = counts.filter(([, n]) => n > 0);
      return busy.length === 0 ? 'empty' : busy.map(([h, n]) => `${h.split('.')[0]} ${n}`).join(' ');
    };
    const rate = (crawlid: string): number => {
      const recent = of(crawlid).filter((p) => p.at >= Date.now() - 3000);
      const span = Math.min(3000, Math.max(1, Date.now() - fedAt));
      return (recent.length * 1000) / span;
    };
    let progressText = '';
    /** The crawl the progress line follows ('' once it is over, so late ticks are dropped). */
    let watching = '';
    const showProgress = async (
      label: string,
      crawlid: string,
      total?: number,
      final = false,
    ): Promise<void> => {
      const pending = await backlog();
      if (!final && watching !== crawlid) return;
      const done = new Set(of(crawlid).map((p) => p.url)).size;
      progressText = `   ${label}: ${done}${total ? `/${total}` : ''} pages · ${fmt(rate(crawlid))} pages/s · backlog ${pending}`;
      if (!final) display.progress(progressText);
    };
    const watch = (label: string, crawlid: string, total?: number): void => {
      clearInterval(progressTimer);
      watching = crawlid;
      progressTimer = setInterval(() => void showProgress(label, crawlid, total).catch(() => undefined), 250);
    };
    watch('crawl 1', crawl1, expected.size);

    // 2. An info request mid-crawl, answered synchronously through /feed (uuid).
    const deadline = Date.now() + CRAWL_TIMEOUT_MS;
    while (Date.now() < deadline && new Set(of(crawl1).map((p) => p.url)).size < expected.size / 3)
      await sleep(50);
    const infoUuid = randomUUID();
    const info = await feed(base, {
      action: 'info',
      appid: APPID,
      crawlid: crawl1,
      spiderid: SPIDER,
      uuid: infoUuid,
    });
    display.line(`2. Info request mid-crawl (action info, uuid ${infoUuid.slice(0, 8)}…):`);
    const infoData = info.data as Record<string, unknown> | null | undefined;
    if (infoData && typeof infoData.total_pending === 'number') {
      const domainsPending = Object.entries((infoData.domains ?? {}) as Record<string, { total: number }>)
        .map(([d, v]) => `${d} ${v.total}`)
        .join(', ');
      display.line(
        `   total_pending ${infoData.total_pending} on ${show(infoData.total_domains)} domains${domainsPending ? ` (${domainsPending})` : ''}, finished ${show(infoData.finished ?? false)}`,
      );
    }
    check(
      'info reply received',
      infoData !== null &&
        infoData !== undefined &&
        infoData.uuid === infoUuid &&
        typeof infoData.total_pending === 'number',
      infoData ? `crawlid ${show(infoData.crawlid)}` : compact(info),
    );

    // Wait for the crawl to finish, then for strays.
    while (Date.now() < deadline && new Set(of(crawl1).map((p) => p.url)).size < expected.size)
      await sleep(50);
    const crawl1Pages = of(crawl1);
    const lastAt = Math.max(fedAt, ...crawl1Pages.map((p) => p.at));
    clearInterval(progressTimer);
    watching = '';
    await showProgress('crawl 1', crawl1, expected.size, true);
    display.line(progressText);
    await sleep(1500);
    const got = of(crawl1);
    const urls = got.map((p) => p.url);
    const unique = new Set(urls);
    const missing = [...expected.keys()].filter((u) => !unique.has(u));
    const extra = [...unique].filter((u) => !expected.has(u));
    const duplicates = urls.length - unique.size;
    display.line(`   crawl 1 finished: ${unique.size} pages in ${secs(lastAt - fedAt)}`);
    check(
      'every reachable page published exactly once',
      missing.length === 0 && extra.length === 0 && duplicates === 0,
      missing.length + extra.length + duplicates === 0
        ? `${unique.size}/${expected.size} pages, no duplicates`
        : `${missing.length} missing${missing[0] ? ` (e.g. ${missing[0]})` : ''}, ${extra.length} unexpected, ${duplicates} duplicates`,
    );

    // 3. Stats.
    const statsUuid = randomUUID();
    const stats = await feed(base, { appid: APPID, uuid: statsUuid, stats: 'all' });
    const statsData = stats.data as Record<string, unknown> | null | undefined;
    display.line(`3. Stats request (stats all, uuid ${statsUuid.slice(0, 8)}…):`);
    const statsBody = Object.fromEntries(
      Object.entries(statsData ?? {}).filter(([key]) => !STATS_META.has(key)),
    );
    for (const [section, value] of Object.entries(statsBody))
      display.line(`   ${section}: ${statsLine(value)}`);
    check(
      'stats reply received',
      statsData !== null &&
        statsData !== undefined &&
        statsData.uuid === statsUuid &&
        Object.keys(statsBody).length > 0,
      `${Object.keys(statsBody).length} sections`,
    );

    // 4. A domain-update through the zookeeper API slows one site; the crawler follows the change.
    const slowIndex = domains - 1;
    const slowHost = hosts[slowIndex]!;
    const zkUuid = randomUUID();
    display.line(
      `4. Slow ${slowHost} to 3 requests per second (action domain-update) and start a second crawl there`,
    );
    const zk = await feed(base, {
      uuid: zkUuid,
      appid: APPID,
      action: 'domain-update',
      domain: slowHost,
      hits: 3,
      window: 1,
    });
    const zkData = zk.data as Record<string, unknown> | null | undefined;
    let followed = false;
    for (let i = 0; i < 40 && !followed; i++) {
      const r = cluster.crawler.domainConfig.rate(slowHost);
      followed = r?.hits === 3 && r.window === 1;
      if (!followed) await sleep(50);
    }
    check(
      'domain-update applied by the crawler',
      zkData?.uuid === zkUuid && !zkData.error && followed,
      zkData && !zkData.error
        ? `reply for ${show(zkData.domain)} received; crawler now allows ${followed ? '3 per 1 s' : 'the old rate'}`
        : `reply ${compact(zkData ?? zk, 100)}`,
    );

    // 5. A second crawl, stopped while it runs.
    const crawl2 = `demo-${randomUUID().slice(0, 6)}`;
    const seed2 = web.url(slowIndex, '/');
    const reachable2 = web.reachablePages(seed2, { maxDepth: 3, sameDomain: true }).size;
    const fed2 = await feed(base, {
      url: seed2,
      appid: APPID,
      crawlid: crawl2,
      maxdepth: 3,
      allowed_domains: [slowHost],
    });
    display.line(`   crawl 2: ${seed2} to depth 3, ${reachable2} pages reachable (crawlid ${crawl2})`);
    watch('crawl 2', crawl2, reachable2);
    const deadline2 = Date.now() + 30_000;
    while (Date.now() < deadline2 && of(crawl2).length < 5) await sleep(50);
    clearInterval(progressTimer);
    watching = '';
    await showProgress('crawl 2', crawl2, reachable2, true);
    display.line(progressText);
    const stopUuid = randomUUID();
    const stop = await feed(base, {
      action: 'stop',
      appid: APPID,
      crawlid: crawl2,
      spiderid: SPIDER,
      uuid: stopUuid,
    });
    const stopData = stop.data as Record<string, unknown> | null | undefined;
    const purged = typeof stopData?.total_purged === 'number' ? stopData.total_purged : -1;
    display.line(`5. Stop crawl 2 after ${of(crawl2).length} pages (action stop): total_purged ${purged}`);
    await sleep(1500); // requests already in flight may still finish
    const afterStop = of(crawl2).length;
    await sleep(3000);
    const later = of(crawl2).length;
    check(
      'stop purged the backlog',
      fed2.status === 'SUCCESS' && stopData?.uuid === stopUuid && purged > 0,
      `total_purged ${purged}`,
    );
    check(
      'no pages of the stopped crawl after it settled',
      later === afterStop && afterStop < reachable2,
      `${afterStop} of ${reachable2} reachable pages, none in the 3 s after`,
    );
    return finish(crawl1Pages, crawl1, lastAt - fedAt, pages);
  } catch (err) {
    display.clear();
    check('demo ran', false, err instanceof Error ? err.message : String(err));
    return finish();
  } finally {
    clearInterval(progressTimer);
    display.clear();
    stream?.close();
    await stream?.done;
    await cluster?.close();
    await web?.close();
    logger.close();
  }

  function finish(crawl1Pages: Page[] = [], _crawl1 = '', crawl1Ms = 0, all: Page[] = []): boolean {
    display.line();
    display.line('Summary');
    if (crawl1Pages.length > 0) {
      const perDomain = new Map<string, number>();
      for (const p of crawl1Pages) perDomain.set(p.domain, (perDomain.get(p.domain) ?? 0) + 1);
      display.line(
        `  crawl 1: ${crawl1Pages.length} pages in ${secs(crawl1Ms)} — ${fmt((crawl1Pages.length * 1000) / Math.max(1, crawl1Ms))} pages/s overall`,
      );
      display.line(
        `  pages per site: ${[...perDomain.entries()]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([d, n]) => `${d} ${n}`)
          .join(' · ')}`,
      );
      const failures = all.filter((p) => p.error || p.status >= 400);
      if (failures.length === 0) display.line('  failures: none');
      else {
        const byReason = new Map<string, Page[]>();
        for (const f of failures) {
          const reason = f.error?.reason ?? `HTTP ${f.status}`;
          byReason.set(reason, [...(byReason.get(reason) ?? []), f]);
        }
        display.line(`  failures: ${failures.length}`);
        for (const [reason, list] of byReason)
          display.line(`    ${reason}: ${list.length} (e.g. ${list[0]!.url} → ${list[0]!.status})`);
      }
    }
    const passed = checks.filter((c) => c.ok).length;
    const ok = checks.length > 0 && passed === checks.length;
    display.line(`  checks: ${passed}/${checks.length} passed · total ${secs(Date.now() - started)}`);
    if (!ok) {
      for (const c of checks.filter((x) => !x.ok)) display.line(`  FAILED: ${c.name}: ${c.detail}`);
      if (!options.verbose && logLines.length > 0) {
        display.line('  last log lines:');
        for (const line of logLines.slice(-15)) display.line(`    ${line}`);
      }
    }
    display.line(ok ? 'Demo OK.' : 'Demo FAILED.');
    return ok;
  }
}
