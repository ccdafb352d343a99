/**
 * Item pipelines from the environment, on the CLI crawler with real Kafka and Redis: a user pipeline (the
 * shipped examples) receives every item, changes and drops what reaches the crawled topic, and removing
 * the built-in KafkaPipeline with null stops publishing while the user pipeline still gets every page.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestWeb, type TestWeb } from '../../src/testweb/index.js';
import { sleep, waitFor } from '../support/capture-logger.js';
import {
  crawlerOutput,
  crawlerSettings,
  spawnCrawler,
  spiderFile,
  stopCrawlerProcess,
  watchCrawled,
} from '../support/crawl-cluster.js';
import { startFeedMonitor } from '../support/feed-monitor.js';

const ROOT = resolve(import.meta.dirname, '../..');
let web: TestWeb;
let dir: string;
let feeder: Awaited<ReturnType<typeof startFeedMonitor>>;

function jsonLines(file: string, crawlid: string): Record<string, unknown>[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.crawlid === crawlid);
}

/** A CLI crawler of a fresh spider name and topic prefix, with these settings in its environment. */
async function crawlerWith(settings: Record<string, unknown>) {
  const name = `ext${randomUUID().slice(0, 6)}`;
  const prefix = `ext${randomUUID().slice(0, 6)}`;
  const jsonl = join(dir, `${name}.jsonl`);
  const crawled = await watchCrawled(prefix);
  const child = spawnCrawler(
    spiderFile(name),
    crawlerSettings(web, prefix, { JSONL_FILE: jsonl, ...settings }),
  );
  await sleep(1500);
  return {
    name,
    jsonl,
    crawled,
    child,
    async stop() {
      await stopCrawlerProcess(child);
      await crawled.close();
    },
  };
}

beforeAll(async () => {
  web = await startTestWeb({ domains: 2, pagesPerDomain: 10, linksPerPage: 4, crossDomainLinks: 0 });
  dir = mkdtempSync(join(tmpdir(), 'sc-ext-'));
  feeder = await startFeedMonitor('ext-test');
});

afterAll(async () => {
  await feeder?.close();
  await web?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('ITEM_PIPELINES on the CLI crawler', () => {
  it('changes and drops what reaches the crawled topic, and writes the kept pages to JSON lines', async () => {
    const crawler = await crawlerWith({
      ITEM_PIPELINES: {
        [join(ROOT, 'examples/filter-pipeline.mjs')]: 50,
        [join(ROOT, 'examples/jsonl-pipeline.mjs')]: 300,
      },
      DROP_URL_REGEX: '/page/[1-3]$',
      SC_LOG_LEVEL: 'INFO',
    });
    const { name, crawled, child, jsonl } = crawler;
    try {
      const seed = web.url(0, '/');
      const expected = [...web.reachablePages(seed, { maxDepth: 2, sameDomain: true }).keys()];
      const dropped = expected.filter((url) => /\/page\/[1-3]$/.test(url));
      const kept = expected.filter((url) => !dropped.includes(url));
      expect(dropped.length).toBeGreaterThan(0);
      const crawlid = await feeder.feed({
        url: seed,
        spiderid: name,
        maxdepth: 2,
        allowed_domains: [web.host(0)],
      });
      await waitFor(() => new Set(crawled.urls(crawlid)).size >= kept.length, 60_000, `${kept.length} pages`);
      // The dropped pages were fetched too: wait for the last of them before judging the topic.
      await waitFor(
        () =>
          expected.every((url) => web.requests.some((r) => url.endsWith(r.path) && r.host === web.host(0))),
        20_000,
        'every page fetched',
      );
      await sleep(1000);
      const onTopic = crawled.pages.filter((p) => p.crawlid === crawlid);
      expect(new Set(onTopic.map((p) => p.url))).toEqual(new Set(kept));
      expect(onTopic.map((p) => p.filtered_by)).toEqual(kept.map(() => 'filter-pipeline'));
      await stopCrawlerProcess(child);
      const drops = crawlerOutput(child)
        .split('\n')
        .filter((line) => line.includes('Item dropped'));
      expect(drops).toHaveLength(dropped.length);
      expect(drops.every((line) => /reason.*URL matches .*page.*\[1-3\]/.test(line))).toBe(true);
      const lines = jsonLines(jsonl, crawlid);
      expect(new Set(lines.map((l) => l.url))).toEqual(new Set(kept));
    } finally {
      await crawler.stop();
    }
  });

  it('stops publishing when KafkaPipeline is removed with null; the user pipeline still gets every page', async () => {
    const crawler = await crawlerWith({
      ITEM_PIPELINES: { KafkaPipeline: null, [join(ROOT, 'examples/jsonl-pipeline.mjs')]: 300 },
    });
    const { name, crawled, jsonl } = crawler;
    try {
      const seed = web.url(1, '/');
      const expected = [...web.reachablePages(seed, { maxDepth: 2, sameDomain: true }).keys()];
      const crawlid = await feeder.feed({
        url: seed,
        spiderid: name,
        maxdepth: 2,
        allowed_domains: [web.host(1)],
      });
      await waitFor(
        () => new Set(jsonLines(jsonl, crawlid).map((l) => l.url)).size >= expected.length,
        60_000,
        `${expected.length} lines`,
      );
      await sleep(1500);
      expect(new Set(jsonLines(jsonl, crawlid).map((l) => l.url))).toEqual(new Set(expected));
      expect(crawled.pages.filter((p) => p.crawlid === crawlid)).toEqual([]);
    } finally {
      await crawler.stop();
    }
  });
});
