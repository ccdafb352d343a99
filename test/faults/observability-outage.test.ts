/**
 * A crawler process as an operator runs it (`scrapy-cluster crawler`, text logs), watched from outside:
 * `curl /metrics` shows its counters moving while it crawls, the text log carries a progress line every
 * LOGSTATS_INTERVAL and one "Crawl finished" line, the outbound topic one `crawl-finished` message, and
 * `/readyz` turns 503 (naming redis) within seconds of stopping Redis and 200 again after it returns.
 * Redis is a private server of this file, so stopping it disturbs nobody else.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServices, type ServicesHandle } from '../../scripts/services/stack.js';
import { REPO_ROOT, STATE_DIR } from '../../scripts/services/state.js';
import { KafkaBus, kafkaBrokerList, type Subscription } from '../../src/core/bus/index.js';
import { resolveSettings } from '../../src/settings.js';
import { connectStore } from '../../src/core/store/index.js';
import { KafkaMonitor } from '../../src/kafka-monitor/monitor.js';
import { startTestWeb, type TestWeb } from '../../src/testweb/index.js';
import { captureLogger, waitFor } from '../support/capture-logger.js';
import { killAll, spawnCli, type CliProcess } from '../support/cli-process.js';
import { servicesEnv } from '../support/services.js';

const BIN = resolve(REPO_ROOT, 'bin/scrapy-cluster.js');
const id = `obs${randomUUID().slice(0, 8)}`;
const children: CliProcess[] = [];
let stack: ServicesHandle;
let web: TestWeb;
let producer: KafkaBus;
let outbound: Subscription | undefined;
const announced: Record<string, unknown>[] = [];

function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

async function probe(url: string): Promise<{ status: number; body: string }> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
    return { status: response.status, body: await response.text() };
  } catch {
    return { status: 0, body: '' };
  }
}

beforeAll(async () => {
  if (!existsSync(resolve(REPO_ROOT, 'dist/cli/main.js')))
    throw new Error('dist/ is missing: run `npm run build` first');
  const { KAFKA_HOSTS, ZOOKEEPER_HOSTS } = servicesEnv();
  stack = await startServices({
    env: { KAFKA_HOSTS, ZOOKEEPER_HOSTS },
    stateFile: join(STATE_DIR, `stack-${process.pid}.json`),
    log: () => undefined,
  });
  web = await startTestWeb({ domains: 2, pagesPerDomain: 20, record: false });
  producer = await KafkaBus.connect({ brokers: kafkaBrokerList(KAFKA_HOSTS), clientId: `${id}-producer` });
  await producer.createTopics([`${id}.incoming`, `${id}.outbound_firehose`, `${id}.crawled_firehose`]);
  outbound = await producer.subscribe({
    topics: [`${id}.outbound_firehose`],
    fromBeginning: true,
    handler: async (messages) => {
      for (const m of messages) announced.push(JSON.parse(m.value) as Record<string, unknown>);
    },
  });
  await outbound.ready;
});

afterAll(async () => {
  await killAll(children);
  await outbound?.close();
  await producer?.close();
  await web?.close();
  await stack?.stop();
});

it(
  'shows metrics moving, progress and finish lines, and readiness following Redis',
  { timeout: 180_000 },
  async () => {
    const { KAFKA_HOSTS, ZOOKEEPER_HOSTS } = servicesEnv();
    const fetcher = web.fetcherSettings();
    const crawler = spawnCli([BIN, 'crawler', '--spider', 'link'], {
      cwd: REPO_ROOT,
      started: children,
      env: {
        ...process.env,
        REDIS_HOST: stack.env.REDIS_HOST,
        REDIS_PORT: String(stack.env.REDIS_PORT),
        KAFKA_HOSTS,
        ZOOKEEPER_HOSTS,
        ZOOKEEPER_ID: id,
        KAFKA_TOPIC_PREFIX: id,
        METRICS_PORT: '0',
        LOGSTATS_INTERVAL: '1',
        QUEUE_HITS: '1000',
        QUEUE_WINDOW: '1',
        QUEUE_MODERATED: 'false',
        SCHEDULER_QUEUE_REFRESH: '0.5',
        SCHEDULER_IP_ENABLED: 'false',
        KAFKA_PRODUCER_BATCH_LINGER_MS: '5',
        DNS_OVERRIDES: JSON.stringify(fetcher.DNS_OVERRIDES),
        ALLOWED_ADDRESSES: JSON.stringify(fetcher.ALLOWED_ADDRESSES),
      },
    });
    let port = 0;
    await waitFor(
      () => {
        port = Number(/Metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(crawler.stdout())?.[1] ?? 0);
        return port > 0;
      },
      60_000,
      `the crawler's metrics port in its log (stderr: ${crawler.stderr().slice(-300)})`,
    );
    const base = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await probe(`${base}/readyz`)).status === 200, 30_000, 'ready');
    expect((await probe(`${base}/healthz`)).status).toBe(200);

    // A Kafka Monitor in this process feeds the crawl into the private Redis.
    const kmSettings = resolveSettings('kafka-monitor', {
      env: {},
      overrides: {
        REDIS_HOST: stack.env.REDIS_HOST,
        REDIS_PORT: stack.env.REDIS_PORT,
        KAFKA_HOSTS,
        KAFKA_INCOMING_TOPIC: `${id}.incoming`,
        KAFKA_GROUP: `${id}-km`,
        STATS_DUMP: 0,
      },
    });
    const kmStore = await connectStore(kmSettings, 'kafka-monitor');
    const kmBus = await KafkaBus.connect({ brokers: kafkaBrokerList(KAFKA_HOSTS), clientId: `${id}-km` });
    const monitor = await KafkaMonitor.create({
      settings: kmSettings,
      store: kmStore,
      bus: kmBus,
      logger: captureLogger('km', 'WARNING').logger,
      metricsListener: false,
    });
    await monitor.start();
    try {
      await producer.send(`${id}.incoming`, [
        JSON.stringify({ url: web.url(0, '/'), appid: 'ops', crawlid: id, spiderid: 'link', maxdepth: 2 }),
      ]);
      const seen: number[] = [];
      await waitFor(
        async () => {
          const pages = sample(
            (await probe(`${base}/metrics`)).body,
            'scrapy_cluster_crawler_pages_fetched_total{status="200"}',
          );
          if (seen.at(-1) !== pages) seen.push(pages);
          return seen.filter((n) => n > 0).length >= 2;
        },
        60_000,
        'the page counter moving',
      );
      console.log(`observability outage: pages counter seen at ${seen.join(' -> ')}`);

      await waitFor(
        () => crawler.stdout().includes(`Crawl finished: ops/${id}`),
        90_000,
        'the crawl-finished line',
      );
      await waitFor(
        () => announced.some((m) => m.action === 'crawl-finished' && m.crawlid === id),
        30_000,
        'the message',
      );
      const metrics = (await probe(`${base}/metrics`)).body;
      const items = sample(metrics, 'scrapy_cluster_crawler_items_published_total');
      const message = announced.find((m) => m.action === 'crawl-finished')!;
      console.log(`observability outage: ${items} items; crawl-finished ${JSON.stringify(message)}`);
      expect(message).toMatchObject({ appid: 'ops', crawlid: id, spiderid: 'link' });
      expect((message.crawl_stats as Record<string, number>).published).toBe(items);
      const log = crawler.stdout();
      expect(log.split('\n').filter((l) => l.includes(`Crawl finished: ops/${id}`))).toHaveLength(1);
      expect(log).toMatch(
        /\[sc-crawler\] INFO: Crawled \d+ pages \(at \d+ pages\/min\), published \d+ items/,
      );
      expect(log).toMatch(new RegExp(`INFO: Crawl ops/${id}: \\d+ pages here this interval`));
      // The per-page lines are DEBUG now: none at INFO.
      expect(log).not.toContain('Scraped page');
      expect(log).not.toContain('Sent page to Kafka');
    } finally {
      await monitor.close();
      await kmBus.close();
      await kmStore.close();
    }

    // Redis goes away: /readyz says so within seconds, naming it; /healthz stays 200.
    let started = Date.now();
    await stack.redis.stop();
    let down = { status: 0, body: '' };
    await waitFor(
      async () => (down = await probe(`${base}/readyz`)).status === 503,
      30_000,
      '/readyz 503 after Redis stopped',
    );
    const downSeconds = (Date.now() - started) / 1000;
    expect(JSON.parse(down.body)).toMatchObject({ ready: false, down: ['redis'] });
    expect((await probe(`${base}/healthz`)).status).toBe(200);

    started = Date.now();
    await stack.redis.start();
    await waitFor(
      async () => (await probe(`${base}/readyz`)).status === 200,
      60_000,
      '/readyz 200 after Redis returned',
    );
    const upSeconds = (Date.now() - started) / 1000;
    console.log(
      `observability outage: /readyz 503 ${downSeconds.toFixed(1)} s after Redis stopped, 200 ${upSeconds.toFixed(1)} s after it returned`,
    );

    crawler.process.kill('SIGTERM');
    await crawler.exited;
    expect(crawler.stdout()).toMatch(/INFO: Crawler stats: \d+ pages in \d+ s, \d+ items published/);
  },
);
