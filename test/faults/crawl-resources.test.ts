/**
 * The crawler's resources under hostile sites and a Redis outage, with crawler processes (`node
 * bin/scrapy-cluster.js crawler`, needs `npm run build`) on a private Redis started through the service
 * harness (Kafka and ZooKeeper are the shared ones), and the in-process test web:
 *
 * - decompression bombs (gzip and brotli, 1 GiB each decoded, a few MB on the wire) and a body that never
 *   ends, all at once: one `too-large` failure record each, no refetch, and the process's peak RSS bounded;
 * - Redis stopped for ~10 s under a running crawl: the outage is logged once, the crawl recovers and every
 *   page is published exactly once;
 * - a Redis without an append-only file is reported with one WARNING at connect.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServices, type ServicesHandle } from '../../scripts/services/stack.js';
import { STATE_DIR } from '../../scripts/services/state.js';
import { KafkaBus, kafkaBrokerList } from '../../src/core/bus/index.js';
import { createLogger } from '../../src/core/logging/index.js';
import { resolveSettings } from '../../src/settings.js';
import { connectStore, type Store } from '../../src/core/store/index.js';
import { KafkaMonitor } from '../../src/kafka-monitor/monitor.js';
import { startTestWeb, type TestWeb } from '../../src/testweb/index.js';
import { captureLogger, sleep, waitFor } from '../support/capture-logger.js';
import {
  crawlerOutput,
  crawlerSettings,
  spawnCrawler,
  spiderFile,
  stopCrawlerProcess,
  watchCrawled,
} from '../support/crawl-cluster.js';
import { servicesEnv } from '../support/services.js';

const GiB = 2 ** 30;
/** The crawler process's peak resident set must stay under this with six 1 GiB bombs at once. */
const PEAK_RSS_BOUND_MB = 300;

let stack: ServicesHandle;
let web: TestWeb;
let store: Store;
let bus: KafkaBus;
let monitor: KafkaMonitor;
const incoming = `crawl-resources.incoming.${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  const { KAFKA_HOSTS, ZOOKEEPER_HOSTS, SERVICES_STATE_FILE } = servicesEnv();
  const stateFile = join(STATE_DIR, `stack-${process.pid}.json`);
  if (stateFile === SERVICES_STATE_FILE) throw new Error('the test worker shares the global setup process');
  // Only Redis is missing from this env, so only Redis is started.
  stack = await startServices({ env: { KAFKA_HOSTS, ZOOKEEPER_HOSTS }, stateFile, log: () => undefined });
  web = await startTestWeb({ domains: 3, pagesPerDomain: 30, linksPerPage: 4, latencyMs: 20 });
  store = await connectStore(
    { REDIS_HOST: stack.env.REDIS_HOST, REDIS_PORT: stack.env.REDIS_PORT },
    'checker',
  );
  bus = await KafkaBus.connect({ brokers: kafkaBrokerList(KAFKA_HOSTS) });
  const settings = resolveSettings('kafka-monitor', {
    env: {},
    overrides: {
      REDIS_HOST: stack.env.REDIS_HOST,
      REDIS_PORT: stack.env.REDIS_PORT,
      KAFKA_HOSTS,
      KAFKA_INCOMING_TOPIC: incoming,
      KAFKA_GROUP: `g-${incoming}`,
      STATS_DUMP: 0,
    },
  });
  const logger = createLogger({ name: 'kafka-monitor', level: 'ERROR', destination: { write: () => true } });
  monitor = await KafkaMonitor.create({ settings, store, bus, logger });
  await monitor.start();
});

afterAll(async () => {
  await monitor?.close();
  await bus?.close();
  await store?.close();
  await web?.close();
  await stack?.stop();
});

async function feed(request: Record<string, unknown>): Promise<string> {
  const crawlid = `c${randomUUID().slice(0, 8)}`;
  await bus.send(incoming, [JSON.stringify({ appid: 'testapp', crawlid, ...request })]);
  return crawlid;
}

/** Crawler settings on the private Redis. */
function settingsFor(prefix: string, overrides: Record<string, unknown> = {}) {
  return crawlerSettings(web, prefix, {
    REDIS_HOST: stack.env.REDIS_HOST,
    REDIS_PORT: stack.env.REDIS_PORT,
    ...overrides,
  });
}

/** VmHWM (peak resident set) of a live process, in MB. */
function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]);
  return kb / 1024;
}

const stopChild = stopCrawlerProcess;
const output = crawlerOutput;

describe('crawler resources', () => {
  it('fails each of six concurrent 1 GiB bombs once as too-large, never refetches, and keeps RSS bounded', async () => {
    const name = `bomb${randomUUID().slice(0, 8)}`;
    const prefix = `cr${randomUUID().slice(0, 6)}`;
    const crawled = await watchCrawled(prefix);
    // Defaults for the limits under test (DOWNLOAD_MAXSIZE 10 MiB, DOWNLOAD_MAXSIZE_TOTAL 64 MiB).
    const child = spawnCrawler(spiderFile(name), settingsFor(prefix, { CONCURRENT_REQUESTS: 16 }));
    try {
      await sleep(1500);
      const idleRss = peakRssMb(child.pid!);
      const paths = [
        ...[0, 1, 2, 3].map((i) => `/big?bytes=${GiB}&encoding=gzip&bomb=${i}`),
        `/big?bytes=${GiB}&encoding=br&bomb=4`,
        `/big?bytes=${GiB}&encoding=deflate&bomb=5`,
        // Declares a terabyte: refused from its Content-Length, before any body is read.
        `/big?bytes=${2 ** 40}&endless=1`,
      ];
      const urls = paths.map((p, i) => web.url(i % 3, p));
      const crawlids = await Promise.all(urls.map((url) => feed({ url, spiderid: name, maxdepth: 0 })));
      await waitFor(() => crawled.pages.length >= urls.length, 90_000, `${urls.length} failure records`);
      // Give a wrongful retry time to show up at the site and on the topic.
      await sleep(3000);
      const peak = peakRssMb(child.pid!);

      const failedByReason: Record<string, number> = {};
      for (const p of crawled.pages) {
        const reason = (p.error as { reason?: string } | undefined)?.reason ?? 'none';
        failedByReason[reason] = (failedByReason[reason] ?? 0) + 1;
      }
      const fetches = web.requests.filter((r) => r.path.startsWith('/big'));
      const perUrl = new Map<string, number>();
      for (const r of fetches) perUrl.set(r.path, (perUrl.get(r.path) ?? 0) + 1);
      const refetches = [...perUrl.values()].reduce((sum, n) => sum + n - 1, 0);
      console.log(
        `bombs: published=${crawled.pages.filter((p) => !p.error).length} failed=${JSON.stringify(failedByReason)} ` +
          `fetches=${fetches.length} refetches=${refetches} peakRSS=${peak.toFixed(1)} MB ` +
          `(at start ${idleRss.toFixed(1)} MB, bound ${PEAK_RSS_BOUND_MB} MB)`,
      );

      expect(crawled.pages).toHaveLength(urls.length);
      expect(failedByReason).toEqual({ 'too-large': urls.length });
      expect(new Set(crawled.pages.map((p) => p.crawlid))).toEqual(new Set(crawlids));
      expect(crawled.pages.every((p) => p.status_code === 413)).toBe(true);
      expect(perUrl.size).toBe(urls.length);
      expect(refetches).toBe(0);
      expect(peak).toBeLessThan(PEAK_RSS_BOUND_MB);
      expect(output(child)).not.toContain('Scraper Retry');
    } finally {
      await stopChild(child);
      await crawled.close();
    }
  });

  it('logs a 10 s Redis outage once, recovers, and publishes every page exactly once', async () => {
    const name = `out${randomUUID().slice(0, 8)}`;
    const prefix = `cr${randomUUID().slice(0, 6)}`;
    const crawled = await watchCrawled(prefix);
    // About 6 pages a second over three sites, so the crawl is still running when Redis goes away.
    const child = spawnCrawler(
      spiderFile(name),
      settingsFor(prefix, { QUEUE_HITS: 2, QUEUE_WINDOW: 1, SC_LOG_LEVEL: 'INFO', CONCURRENT_REQUESTS: 8 }),
    );
    try {
      await sleep(1500);
      const seeds = [0, 1, 2].map((d) => web.url(d, '/'));
      const expected = new Set<string>();
      for (const seed of seeds)
        for (const url of web.reachablePages(seed, { maxDepth: 3, sameDomain: true }).keys())
          expected.add(url);
      const crawlids = await Promise.all(
        seeds.map((url) =>
          feed({ url, spiderid: name, maxdepth: 3, allowed_domains: [new URL(url).hostname] }),
        ),
      );
      await waitFor(() => crawled.pages.length >= 10, 60_000, 'the first pages').catch((err: unknown) => {
        console.log(output(child).slice(-4000));
        throw err;
      });
      const beforeOutage = output(child).length;

      await stack.redis.stop();
      const down = crawled.pages.length;
      await sleep(10_000);
      const duringOutage = output(child).slice(beforeOutage);
      await stack.redis.start();

      await waitFor(() => new Set(crawled.urls()).size >= expected.size, 120_000, `${expected.size} pages`);
      await sleep(3000); // room for a duplicate to show up
      const afterOutage = output(child).slice(beforeOutage);
      const warnings = afterOutage.split('\n').filter((l) => / (WARNING|ERROR|CRITICAL): /.test(l));
      const counts = new Map<string, number>();
      for (const p of crawled.pages) counts.set(p.url, (counts.get(p.url) ?? 0) + 1);
      const duplicates = [...counts.values()].reduce((sum, n) => sum + n - 1, 0);
      const failed = crawled.pages.filter((p) => p.error).length;
      console.log(
        `redis outage: published=${crawled.pages.length - failed} failed=${failed} expected=${expected.size} ` +
          `duplicates=${duplicates} published before outage=${down} warning/error lines=${warnings.length} ` +
          `lines during the outage=${duringOutage.split('\n').filter(Boolean).length}`,
      );
      for (const w of warnings) console.log(`  ${w}`);

      expect(new Set(crawled.urls())).toEqual(expected);
      expect(duplicates).toBe(0);
      expect(failed).toBe(0);
      expect(new Set(crawled.pages.map((p) => p.crawlid))).toEqual(new Set(crawlids));
      expect(warnings.length).toBeLessThan(5);
      expect(warnings.filter((l) => l.includes('Redis unreachable ('))).toHaveLength(1);
      expect(afterOutage).toMatch(/INFO: Redis reachable again after \d+(\.\d)? s/);
      // The harness Redis keeps an append-only file: no durability warning at start.
      expect(output(child)).not.toContain('no append-only file');
      expect(child.exitCode).toBeNull();
    } finally {
      await stopChild(child);
      await crawled.close();
    }
  });

  it('warns once at connect when Redis keeps no append-only file and has no replica', async () => {
    const { logger, lines } = captureLogger('durability');
    await store.call('CONFIG', 'SET', 'appendonly', 'no');
    try {
      const plain = await connectStore(
        { REDIS_HOST: stack.env.REDIS_HOST, REDIS_PORT: stack.env.REDIS_PORT },
        'plain',
        logger,
      );
      await plain.close();
    } finally {
      await store.call('CONFIG', 'SET', 'appendonly', 'yes');
    }
    const durable = await connectStore(
      { REDIS_HOST: stack.env.REDIS_HOST, REDIS_PORT: stack.env.REDIS_PORT },
      'durable',
      logger,
    );
    await durable.close();
    const warnings = lines.filter((l) => l.level === 'WARNING');
    console.log(`durability: warnings=${warnings.length}: ${warnings.map((w) => w.message).join(' | ')}`);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toContain('no append-only file and no replica');
  });
});
