import { randomUUID } from 'node:crypto';
import type { TestWeb } from '../../testweb/index.js';
import type { StandaloneCluster } from '../cluster.js';
import { feed } from './client.js';
import { compact, secs, show, statsLine, type Display } from './display.js';
import { sleep, type CrawledPages, type Page } from './pages.js';
import type { ProgressLine } from './progress.js';

// The demo's scenario, one step per function: each shows what it does and records its checks.

export const APPID = 'demo';
export const SPIDER = 'link';
const CRAWL_TIMEOUT_MS = 60_000;
/** Reply fields around the stats sections. */
const STATS_META = new Set(['stats', 'appid', 'uuid', 'server_time']);

export interface DemoContext {
  base: string;
  web: TestWeb;
  cluster: StandaloneCluster;
  hosts: string[];
  display: Display;
  pages: CrawledPages;
  progress: ProgressLine;
  check(name: string, ok: boolean, detail: string): boolean;
}

/** The main crawl as it was fed: what it should publish. */
export interface MainCrawl {
  crawlid: string;
  expected: Map<string, number>;
  fedAt: number;
  deadline: number;
}

/** 1. A depth-2 crawl of the first site, through `POST /feed`; null when the feed was refused. */
export async function feedMainCrawl(ctx: DemoContext): Promise<MainCrawl | null> {
  const { base, web, display } = ctx;
  const crawlid = `demo-${randomUUID().slice(0, 6)}`;
  const seed = web.url(0, '/');
  const expected = web.reachablePages(seed, { maxDepth: 2 });
  const expectedDomains = new Set([...expected.keys()].map((u) => new URL(u).hostname));
  display.line(`1. Crawl ${seed} to depth 2 (crawlid ${crawlid}) — POST ${base}/feed`);
  const fed = await feed(base, { url: seed, appid: APPID, crawlid, maxdepth: 2 });
  if (!ctx.check('feed accepted', fed.httpStatus === 200 && fed.status === 'SUCCESS', compact(fed)))
    return null;
  display.line(
    `   expecting ${expected.size} pages on ${expectedDomains.size} sites; watching ${base}/stream/crawled`,
  );
  ctx.progress.watch('crawl 1', crawlid, expected.size);
  const fedAt = Date.now();
  return { crawlid, expected, fedAt, deadline: fedAt + CRAWL_TIMEOUT_MS };
}

/** 2. An info request once a third of the crawl is in, answered synchronously through /feed (uuid). */
export async function askInfoMidCrawl(ctx: DemoContext, crawl: MainCrawl): Promise<void> {
  const { display } = ctx;
  await ctx.pages.waitFor(crawl.crawlid, crawl.expected.size / 3, crawl.deadline);
  const uuid = randomUUID();
  const info = await feed(ctx.base, {
    action: 'info',
    appid: APPID,
    crawlid: crawl.crawlid,
    spiderid: SPIDER,
    uuid,
  });
  display.line(`2. Info request mid-crawl (action info, uuid ${uuid.slice(0, 8)}…):`);
  const data = info.data as Record<string, unknown> | null | undefined;
  if (data && typeof data.total_pending === 'number') {
    const domainsPending = Object.entries((data.domains ?? {}) as Record<string, { total: number }>)
      .map(([d, v]) => `${d} ${v.total}`)
      .join(', ');
    display.line(
      `   total_pending ${data.total_pending} on ${show(data.total_domains)} domains${domainsPending ? ` (${domainsPending})` : ''}, finished ${show(data.finished ?? false)}`,
    );
  }
  ctx.check(
    'info reply received',
    data !== null && data !== undefined && data.uuid === uuid && typeof data.total_pending === 'number',
    data ? `crawlid ${show(data.crawlid)}` : compact(info),
  );
}

/** Waits for the main crawl to finish (and 1.5 s more for strays); checks every page came exactly once. */
export async function awaitMainCrawl(
  ctx: DemoContext,
  crawl: MainCrawl,
): Promise<{ pages: Page[]; ms: number }> {
  const { display, pages } = ctx;
  await pages.waitFor(crawl.crawlid, crawl.expected.size, crawl.deadline);
  const lastAt = Math.max(crawl.fedAt, ...pages.of(crawl.crawlid).map((p) => p.at));
  await ctx.progress.end('crawl 1', crawl.crawlid, crawl.expected.size);
  await sleep(1500);
  const got = pages.of(crawl.crawlid);
  const urls = got.map((p) => p.url);
  const unique = new Set(urls);
  const missing = [...crawl.expected.keys()].filter((u) => !unique.has(u));
  const extra = [...unique].filter((u) => !crawl.expected.has(u));
  const duplicates = urls.length - unique.size;
  display.line(`   crawl 1 finished: ${unique.size} pages in ${secs(lastAt - crawl.fedAt)}`);
  ctx.check(
    'every reachable page published exactly once',
    missing.length === 0 && extra.length === 0 && duplicates === 0,
    missing.length + extra.length + duplicates === 0
      ? `${unique.size}/${crawl.expected.size} pages, no duplicates`
      : `${missing.length} missing${missing[0] ? ` (e.g. ${missing[0]})` : ''}, ${extra.length} unexpected, ${duplicates} duplicates`,
  );
  return { pages: got, ms: lastAt - crawl.fedAt };
}

/** 3. A stats request, one line per section. */
export async function askStats(ctx: DemoContext): Promise<void> {
  const { display } = ctx;
  const uuid = randomUUID();
  const stats = await feed(ctx.base, { appid: APPID, uuid, stats: 'all' });
  const data = stats.data as Record<string, unknown> | null | undefined;
  display.line(`3. Stats request (stats all, uuid ${uuid.slice(0, 8)}…):`);
  const body = Object.fromEntries(Object.entries(data ?? {}).filter(([key]) => !STATS_META.has(key)));
  for (const [section, value] of Object.entries(body)) display.line(`   ${section}: ${statsLine(value)}`);
  ctx.check(
    'stats reply received',
    data !== null && data !== undefined && data.uuid === uuid && Object.keys(body).length > 0,
    `${Object.keys(body).length} sections`,
  );
}

/** 4. A domain-update through the zookeeper API slows the last site; the crawler follows the change. */
export async function slowLastSite(ctx: DemoContext): Promise<number> {
  const { display, hosts } = ctx;
  const slowIndex = hosts.length - 1;
  const slowHost = hosts[slowIndex]!;
  const uuid = randomUUID();
  display.line(
    `4. Slow ${slowHost} to 3 requests per second (action domain-update) and start a second crawl there`,
  );
  const zk = await feed(ctx.base, {
    uuid,
    appid: APPID,
    action: 'domain-update',
    domain: slowHost,
    hits: 3,
    window: 1,
  });
  const data = zk.data as Record<string, unknown> | null | undefined;
  let followed = false;
  for (let i = 0; i < 40 && !followed; i++) {
    const r = ctx.cluster.crawler.domainConfig.rate(slowHost);
    followed = r?.hits === 3 && r.window === 1;
    if (!followed) await sleep(50);
  }
  ctx.check(
    'domain-update applied by the crawler',
    data?.uuid === uuid && !data.error && followed,
    data && !data.error
      ? `reply for ${show(data.domain)} received; crawler now allows ${followed ? '3 per 1 s' : 'the old rate'}`
      : `reply ${compact(data ?? zk, 100)}`,
  );
  return slowIndex;
}

/** 5. A second crawl on the slowed site, stopped while it runs: the backlog is purged, no page follows. */
export async function stopSecondCrawl(ctx: DemoContext, siteIndex: number): Promise<void> {
  const { display, pages, web } = ctx;
  const host = ctx.hosts[siteIndex]!;
  const crawlid = `demo-${randomUUID().slice(0, 6)}`;
  const seed = web.url(siteIndex, '/');
  const reachable = web.reachablePages(seed, { maxDepth: 3, sameDomain: true }).size;
  const fed = await feed(ctx.base, {
    url: seed,
    appid: APPID,
    crawlid,
    maxdepth: 3,
    allowed_domains: [host],
  });
  display.line(`   crawl 2: ${seed} to depth 3, ${reachable} pages reachable (crawlid ${crawlid})`);
  ctx.progress.watch('crawl 2', crawlid, reachable);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && pages.of(crawlid).length < 5) await sleep(50);
  await ctx.progress.end('crawl 2', crawlid, reachable);
  const uuid = randomUUID();
  const stop = await feed(ctx.base, { action: 'stop', appid: APPID, crawlid, spiderid: SPIDER, uuid });
  const data = stop.data as Record<string, unknown> | null | undefined;
  const purged = typeof data?.total_purged === 'number' ? data.total_purged : -1;
  display.line(
    `5. Stop crawl 2 after ${pages.of(crawlid).length} pages (action stop): total_purged ${purged}`,
  );
  await sleep(1500); // requests already in flight may still finish
  const afterStop = pages.of(crawlid).length;
  await sleep(3000);
  const later = pages.of(crawlid).length;
  ctx.check(
    'stop purged the backlog',
    fed.status === 'SUCCESS' && data?.uuid === uuid && purged > 0,
    `total_purged ${purged}`,
  );
  ctx.check(
    'no pages of the stopped crawl after it settled',
    later === afterStop && afterStop < reachable,
    `${afterStop} of ${reachable} reachable pages, none in the 3 s after`,
  );
}
