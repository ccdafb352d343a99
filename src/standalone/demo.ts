import { createLogger } from '../core/logging/index.js';
import { startTestWeb, type TestWeb } from '../testweb/index.js';
import { startStandalone, type StandaloneCluster } from './cluster.js';
import { openStream, type EventStream } from './demo/client.js';
import { Display, fmt, secs, type Output } from './demo/display.js';
import { CrawledPages, type Page } from './demo/pages.js';
import { ProgressLine } from './demo/progress.js';
import {
  askInfoMidCrawl,
  askStats,
  awaitMainCrawl,
  feedMainCrawl,
  slowLastSite,
  SPIDER,
  stopSecondCrawl,
  type DemoContext,
} from './demo/steps.js';

export interface DemoOptions {
  /** Test web sites (default 6) and pages per site (default 60). */
  domains?: number;
  pagesPerDomain?: number;
  /** Print the components' WARNING+ log lines as they happen (default: only when something failed). */
  verbose?: boolean;
  /** Update one progress line in place (a terminal); otherwise print a plain line every few seconds. */
  live?: boolean;
  /** Where to write (default process.stdout). */
  out?: Output;
}

/** The demo's throttle: fast enough to finish in seconds, said out loud because it is not the default. */
export const DEMO_THROTTLE = { QUEUE_HITS: 10, QUEUE_WINDOW: 1, QUEUE_MODERATED: false } as const;

interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

/**
 * The guided demo: a local multi-domain test web, the standalone cluster in this process, a depth-2
 * crawl fed through `POST /feed`, watched on `/stream/crawled`, with an info request mid-crawl, a stats
 * request, a zookeeper domain-update and a stopped second crawl (the steps of demo/steps.ts). Returns
 * true when everything it showed matched what it expected.
 */
export async function runDemo(options: DemoOptions = {}): Promise<boolean> {
  const display = new Display(options.out ?? process.stdout, options.live ?? false);
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
  const pages = new CrawledPages();
  let main: { pages: Page[]; ms: number } | undefined;

  let web: TestWeb | undefined;
  let cluster: StandaloneCluster | undefined;
  let stream: EventStream | undefined;
  let progress: ProgressLine | undefined;
  try {
    display.line(
      'Scrapy Cluster demo — the whole cluster in this process, no Kafka, Redis or ZooKeeper needed',
    );
    display.line();
    web = await startTestWeb({ domains, pagesPerDomain, latencyMs: 15, record: false });
    const site = web;
    const hosts = Array.from({ length: domains }, (_, i) => site.host(i));
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
    stream = await openStream(`${base}/stream/crawled`, (data) => pages.add(data));
    progress = new ProgressLine(display, cluster, SPIDER, hosts, pages);
    const ctx: DemoContext = { base, web, cluster, hosts, display, pages, progress, check };

    const crawl = await feedMainCrawl(ctx);
    if (!crawl) return summary();
    await askInfoMidCrawl(ctx, crawl);
    main = await awaitMainCrawl(ctx, crawl);
    await askStats(ctx);
    const slowSite = await slowLastSite(ctx);
    await stopSecondCrawl(ctx, slowSite);
    return summary();
  } catch (err) {
    display.clear();
    check('demo ran', false, err instanceof Error ? err.message : String(err));
    return summary();
  } finally {
    progress?.stop();
    display.clear();
    stream?.close();
    await stream?.done;
    await cluster?.close();
    await web?.close();
    logger.close();
  }

  function summary(): boolean {
    display.line();
    display.line('Summary');
    if (main && main.pages.length > 0) showMainCrawl(display, main, pages.all);
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

/** The main crawl's figures: pages and rate, pages per site, failures by reason (of every crawl). */
function showMainCrawl(display: Display, main: { pages: Page[]; ms: number }, all: Page[]): void {
  const perDomain = new Map<string, number>();
  for (const p of main.pages) perDomain.set(p.domain, (perDomain.get(p.domain) ?? 0) + 1);
  display.line(
    `  crawl 1: ${main.pages.length} pages in ${secs(main.ms)} — ${fmt((main.pages.length * 1000) / Math.max(1, main.ms))} pages/s overall`,
  );
  display.line(
    `  pages per site: ${[...perDomain.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([d, n]) => `${d} ${n}`)
      .join(' · ')}`,
  );
  const failures = all.filter((p) => p.error || p.status >= 400);
  if (failures.length === 0) {
    display.line('  failures: none');
    return;
  }
  const byReason = new Map<string, Page[]>();
  for (const f of failures) {
    const reason = f.error?.reason ?? `HTTP ${f.status}`;
    byReason.set(reason, [...(byReason.get(reason) ?? []), f]);
  }
  display.line(`  failures: ${failures.length}`);
  for (const [reason, list] of byReason)
    display.line(`    ${reason}: ${list.length} (e.g. ${list[0]!.url} → ${list[0]!.status})`);
}
