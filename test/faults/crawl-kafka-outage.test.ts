/**
 * Kafka stopped for 30 s under a running crawler process: pages downloaded meanwhile wait for the broker
 * (or go back to their queue uncounted), the crawler leases nothing while Kafka refuses pages, logs the
 * outage once, and afterwards every page of the crawl is on the firehose exactly once, with no failure
 * record. An outage of any length must never turn pages into failures.
 *
 * The crawler publishes to a private Kafka started through the service harness (so stopping it disturbs
 * nothing else); the Kafka Monitor feeding it reads the shared broker and writes the shared Redis.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServices, type ServicesHandle } from '../../scripts/services/stack.js';
import { STATE_DIR } from '../../scripts/services/state.js';
import { KafkaBus, kafkaBrokerList, type Subscription } from '../../src/core/bus/index.js';
import { createLogger } from '../../src/core/logging/index.js';
import { resolveSettings } from '../../src/settings.js';
import { connectStore, type Store } from '../../src/core/store/index.js';
import { KafkaMonitor } from '../../src/kafka-monitor/monitor.js';
import { startTestWeb, type TestWeb } from '../../src/testweb/index.js';
import { sleep, waitFor } from '../support/capture-logger.js';
import {
  crawlerOutput,
  crawlerSettings,
  spawnCrawler,
  spiderFile,
  stopCrawlerProcess,
} from '../support/crawl-cluster.js';
import { servicesEnv } from '../support/services.js';

let stack: ServicesHandle;
let web: TestWeb;
let store: Store;
let shared: KafkaBus;
let monitor: KafkaMonitor;
const incoming = `crawl-kafka-outage.incoming.${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  const { REDIS_HOST, REDIS_PORT, KAFKA_HOSTS, ZOOKEEPER_HOSTS, SERVICES_STATE_FILE } = servicesEnv();
  const stateFile = join(STATE_DIR, `stack-${process.pid}.json`);
  if (stateFile === SERVICES_STATE_FILE) throw new Error('the test worker shares the global setup process');
  // Only Kafka is missing from this env, so only Kafka is started.
  stack = await startServices({
    env: { REDIS_HOST, REDIS_PORT: String(REDIS_PORT), ZOOKEEPER_HOSTS },
    stateFile,
    log: () => undefined,
  });
  web = await startTestWeb({ domains: 3, pagesPerDomain: 30, linksPerPage: 4, latencyMs: 20 });
  store = await connectStore({ REDIS_HOST, REDIS_PORT }, 'checker');
  shared = await KafkaBus.connect({ brokers: kafkaBrokerList(KAFKA_HOSTS) });
  const settings = resolveSettings('kafka-monitor', {
    env: {},
    overrides: {
      REDIS_HOST,
      REDIS_PORT,
      KAFKA_HOSTS,
      KAFKA_INCOMING_TOPIC: incoming,
      KAFKA_GROUP: `g-${incoming}`,
      STATS_DUMP: 0,
    },
  });
  const logger = createLogger({ name: 'kafka-monitor', level: 'ERROR', destination: { write: () => true } });
  monitor = await KafkaMonitor.create({ settings, store, bus: shared, logger });
  await monitor.start();
});

afterAll(async () => {
  await monitor?.close();
  await shared?.close();
  await store?.close();
  await web?.close();
  await stack?.stop();
});

type Page = { url: string; crawlid: string; error?: { reason: string } };

/** Reads `topic` of the private broker from the beginning into `pages` until closed. */
async function readTopic(topic: string): Promise<{ pages: Page[]; close(): Promise<void> }> {
  const bus = await KafkaBus.connect({ brokers: kafkaBrokerList(stack.env.KAFKA_HOSTS) });
  const pages: Page[] = [];
  const sub: Subscription = await bus.subscribe({
    topics: [topic],
    fromBeginning: true,
    handler: async (batch) => {
      for (const m of batch) pages.push(JSON.parse(m.value) as Page);
    },
  });
  await sub.ready;
  return { pages, close: () => bus.close() };
}

const stopChild = stopCrawlerProcess;
const output = crawlerOutput;

it('rides out a 30 s Kafka outage: every page on the firehose exactly once, no failure record', async () => {
  const name = `ko${randomUUID().slice(0, 8)}`;
  const prefix = `ko${randomUUID().slice(0, 6)}`;
  const topic = `${prefix}.crawled_firehose`;
  // About 6 pages a second over three sites, so the crawl is still running when Kafka goes away.
  const child = spawnCrawler(
    spiderFile(name),
    crawlerSettings(web, prefix, {
      KAFKA_HOSTS: stack.env.KAFKA_HOSTS,
      QUEUE_HITS: 2,
      QUEUE_WINDOW: 1,
      CONCURRENT_REQUESTS: 8,
      SC_LOG_LEVEL: 'INFO',
    }),
  );
  let reader = await readTopic(topic);
  try {
    await sleep(1500);
    const seeds = [0, 1, 2].map((d) => web.url(d, '/'));
    const expected = new Set<string>();
    for (const seed of seeds)
      for (const url of web.reachablePages(seed, { maxDepth: 3, sameDomain: true }).keys()) expected.add(url);
    const crawlids = seeds.map(() => `c${randomUUID().slice(0, 8)}`);
    await shared.send(
      incoming,
      seeds.map((url, i) =>
        JSON.stringify({
          url,
          appid: 'testapp',
          crawlid: crawlids[i],
          spiderid: name,
          maxdepth: 3,
          allowed_domains: [new URL(url).hostname],
        }),
      ),
    );
    await waitFor(() => reader.pages.length >= 10, 60_000, 'the first pages').catch((err: unknown) => {
      console.log(output(child).slice(-4000));
      throw err;
    });
    await reader.close();
    const beforeOutage = output(child).length;
    const fetchesBefore = web.requestCount;

    await stack.kafka.stop();
    await sleep(30_000);
    const fetchedDuringOutage = web.requestCount - fetchesBefore;
    await stack.kafka.start();

    reader = await readTopic(topic);
    await waitFor(
      () => new Set(reader.pages.map((p) => p.url)).size >= expected.size,
      180_000,
      'every page',
    ).catch((err: unknown) => {
      console.log(output(child).slice(-4000));
      throw err;
    });
    await sleep(3000); // room for a duplicate to show up
    const after = output(child).slice(beforeOutage);
    const warnings = after.split('\n').filter((l) => / (WARNING|ERROR|CRITICAL): /.test(l));
    const counts = new Map<string, number>();
    for (const p of reader.pages) counts.set(p.url, (counts.get(p.url) ?? 0) + 1);
    const duplicates = [...counts.values()].reduce((sum, n) => sum + n - 1, 0);
    const failed = reader.pages.filter((p) => p.error);
    const fetched = web.requests.filter((r) => r.path !== '/robots.txt').length;
    console.log(
      `kafka outage 30 s: published=${reader.pages.length - failed.length} failed=${failed.length} ` +
        `expected=${expected.size} duplicates=${duplicates} fetches=${fetched} ` +
        `refetches=${fetched - expected.size} fetched while Kafka was down=${fetchedDuringOutage} ` +
        `warning/error lines=${warnings.length}`,
    );
    for (const w of warnings.slice(0, 10)) console.log(`  ${w.slice(0, 300)}`);

    expect(new Set(reader.pages.map((p) => p.url))).toEqual(expected);
    expect(failed).toEqual([]);
    expect(duplicates).toBe(0);
    expect(new Set(reader.pages.map((p) => p.crawlid))).toEqual(new Set(crawlids));
    expect(after).toMatch(/Kafka unreachable \(/);
    expect(after).toMatch(/Kafka reachable again after \d+(\.\d)? s/);
    expect(child.exitCode).toBeNull();
  } finally {
    await stopChild(child);
    await reader.close();
  }
});
