/**
 * Redis stopped for 8 s under a running crawler process, with leases taken, links being queued in
 * batched enqueue calls and acknowledgements pending: the crawler logs the outage once, leases nothing
 * meanwhile, queues the links of pages fetched just before it once Redis answers again, and afterwards
 * every page of the crawl is on the firehose exactly once, with no failure record.
 *
 * The crawler and the Kafka Monitor feeding it use a private Redis started through the service harness
 * (so stopping it disturbs nothing else; it saves its data on stop and loads it on start); Kafka and
 * ZooKeeper are the shared ones.
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
let bus: KafkaBus;
let monitor: KafkaMonitor;
const incoming = `crawl-redis-outage.incoming.${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  const { KAFKA_HOSTS, ZOOKEEPER_HOSTS, SERVICES_STATE_FILE } = servicesEnv();
  const stateFile = join(STATE_DIR, `stack-${process.pid}.json`);
  if (stateFile === SERVICES_STATE_FILE) throw new Error('the test worker shares the global setup process');
  // Only Redis is missing from this env, so only Redis is started.
  stack = await startServices({ env: { KAFKA_HOSTS, ZOOKEEPER_HOSTS }, stateFile, log: () => undefined });
  web = await startTestWeb({ domains: 3, pagesPerDomain: 30, linksPerPage: 4, latencyMs: 20 });
  const { REDIS_HOST, REDIS_PORT } = stack.env;
  store = await connectStore({ REDIS_HOST, REDIS_PORT }, 'checker');
  bus = await KafkaBus.connect({ brokers: kafkaBrokerList(KAFKA_HOSTS) });
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
  const logger = createLogger({
    name: 'kafka-monitor',
    level: 'CRITICAL',
    destination: { write: () => true },
  });
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

type Page = { url: string; crawlid: string; error?: { reason: string } };

it('rides out an 8 s Redis outage: every page on the firehose exactly once, no failure record', async () => {
  const name = `ro${randomUUID().slice(0, 8)}`;
  const prefix = `ro${randomUUID().slice(0, 6)}`;
  const pages: Page[] = [];
  const reader = await KafkaBus.connect({ brokers: kafkaBrokerList(servicesEnv().KAFKA_HOSTS) });
  const sub: Subscription = await reader.subscribe({
    topics: [`${prefix}.crawled_firehose`],
    fromBeginning: true,
    handler: async (batch) => {
      for (const m of batch) pages.push(JSON.parse(m.value) as Page);
    },
  });
  await sub.ready;
  // About 6 pages a second over three sites, so the crawl is still running when Redis goes away.
  const child = spawnCrawler(
    spiderFile(name),
    crawlerSettings(web, prefix, {
      REDIS_HOST: stack.env.REDIS_HOST,
      REDIS_PORT: stack.env.REDIS_PORT,
      QUEUE_HITS: 2,
      QUEUE_WINDOW: 1,
      CONCURRENT_REQUESTS: 8,
      SC_LOG_LEVEL: 'INFO',
    }),
  );
  try {
    await sleep(1500);
    const seeds = [0, 1, 2].map((d) => web.url(d, '/'));
    const expected = new Set<string>();
    for (const seed of seeds)
      for (const url of web.reachablePages(seed, { maxDepth: 3, sameDomain: true }).keys()) expected.add(url);
    const crawlids = seeds.map(() => `c${randomUUID().slice(0, 8)}`);
    await bus.send(
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
    await waitFor(() => pages.length >= 10, 60_000, 'the first pages').catch((err: unknown) => {
      console.log(crawlerOutput(child).slice(-4000));
      throw err;
    });
    const beforeOutage = crawlerOutput(child).length;

    await stack.redis.stop();
    await sleep(8_000);
    await stack.redis.start();

    await waitFor(() => new Set(pages.map((p) => p.url)).size >= expected.size, 180_000, 'every page').catch(
      (err: unknown) => {
        console.log(crawlerOutput(child).slice(-4000));
        throw err;
      },
    );
    await sleep(3000); // room for a duplicate to show up
    const after = crawlerOutput(child).slice(beforeOutage);
    const counts = new Map<string, number>();
    for (const p of pages) counts.set(p.url, (counts.get(p.url) ?? 0) + 1);
    const duplicates = [...counts.values()].reduce((sum, n) => sum + n - 1, 0);
    const failed = pages.filter((p) => p.error);
    const errors = after.split('\n').filter((l) => / (ERROR|CRITICAL): /.test(l));
    console.log(
      `redis outage 8 s: published=${pages.length - failed.length} failed=${failed.length} ` +
        `expected=${expected.size} duplicates=${duplicates} error lines=${errors.length}`,
    );
    for (const line of errors.slice(0, 10)) console.log(`  ${line.slice(0, 300)}`);

    expect(new Set(pages.map((p) => p.url))).toEqual(expected);
    expect(failed).toEqual([]);
    expect(duplicates).toBe(0);
    expect(after).toMatch(/Redis unreachable/);
    expect(child.exitCode).toBeNull();
  } finally {
    await stopCrawlerProcess(child);
    await reader.close();
  }
});
