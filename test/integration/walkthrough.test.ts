/**
 * The seed's "Your First Crawl" (1.2.2) end to end on the real servers, driven only through the public
 * interfaces (REST /feed and the Kafka topics): once with every component as its own process (one Kafka
 * Monitor, one Redis Monitor, two crawlers, one REST service), once with `scrapy-cluster standalone`. The processes use their own Redis database so that
 * Redis Monitors of other test files cannot answer this file's jobs.
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaBus, kafkaBrokerList, type Subscription } from '../../src/core/bus/index.js';
import { startTestWeb, type TestWeb } from '../../src/testweb/index.js';
import { sleep, waitFor } from '../support/capture-logger.js';
import { freePort, killAll, spawnCli, type CliProcess } from '../support/cli-process.js';
import { spiderFile, watchCrawled } from '../support/crawl-cluster.js';
import { servicesEnv } from '../support/services.js';
import { TEST_REDIS_DBS } from '../support/redis-dbs.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = resolve(ROOT, 'bin/scrapy-cluster.js');
for (const mode of ['separate processes', 'standalone'] as const) {
  describe(`Your First Crawl (${mode})`, () => walkthrough(mode));
}

function walkthrough(mode: 'separate processes' | 'standalone'): void {
  const DB =
    mode === 'standalone' ? TEST_REDIS_DBS.walkthroughStandalone : TEST_REDIS_DBS.walkthroughSeparate;
  const id = `walk${randomUUID().slice(0, 6)}`;
  const spider = `sp${id}`;
  const appid = `app${id}`;

  let web: TestWeb;
  let rest: string;
  const processes: CliProcess[] = [];
  let crawled: Awaited<ReturnType<typeof watchCrawled>>;
  let outboundBus: KafkaBus;
  let outboundSub: Subscription;
  const outbound: Record<string, unknown>[] = [];

  async function feed(
    body: Record<string, unknown>,
  ): Promise<{ status: number; data: Record<string, unknown> | null }> {
    const response = await fetch(`${rest}/feed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const envelope = (await response.json()) as { data: Record<string, unknown> | null };
    return { status: response.status, data: envelope.data };
  }

  beforeAll(async () => {
    if (!(await import('node:fs')).existsSync(resolve(ROOT, 'dist/cli/main.js'))) {
      throw new Error('dist/ is missing: run `npm run build` first');
    }
    web = await startTestWeb({ domains: 2, pagesPerDomain: 16, linksPerPage: 4, crossDomainLinks: 0 });
    const env = servicesEnv();
    const port = await freePort();
    rest = `http://127.0.0.1:${port}`;
    const common: Record<string, string> = {
      ...(process.env as Record<string, string>),
      REDIS_HOST: env.REDIS_HOST,
      REDIS_PORT: String(env.REDIS_PORT),
      REDIS_DB: String(DB),
      KAFKA_HOSTS: env.KAFKA_HOSTS,
      ZOOKEEPER_HOSTS: env.ZOOKEEPER_HOSTS,
      ZOOKEEPER_ID: id,
      KAFKA_TOPIC_PREFIX: id,
      KAFKA_INCOMING_TOPIC: `${id}.incoming`,
      KAFKA_PRODUCER_TOPIC: `${id}.incoming`,
      KAFKA_GROUP: `${id}-group`,
      LOG_LEVEL: 'WARNING',
      SC_LOG_LEVEL: 'WARNING',
    };
    const crawlerEnv = {
      ...common,
      DNS_OVERRIDES: JSON.stringify(web.fetcherSettings().DNS_OVERRIDES),
      ALLOWED_ADDRESSES: JSON.stringify(web.fetcherSettings().ALLOWED_ADDRESSES),
      QUEUE_HITS: '10',
      QUEUE_WINDOW: '1',
      QUEUE_MODERATED: 'false',
      SCHEDULER_QUEUE_REFRESH: '0.5',
      SCHEDULER_TYPE_ENABLED: 'false',
      SCHEDULER_IP_ENABLED: 'false',
    };
    crawled = await watchCrawled(id);
    outboundBus = await KafkaBus.connect({ brokers: kafkaBrokerList(env.KAFKA_HOSTS) });
    await outboundBus.createTopics([`${id}.incoming`, `${id}.outbound_firehose`, `${id}.crawled_firehose`]);
    outboundSub = await outboundBus.subscribe({
      topics: [`${id}.outbound_firehose`],
      fromBeginning: true,
      handler: async (batch) => {
        for (const m of batch) outbound.push(JSON.parse(m.value) as Record<string, unknown>);
      },
    });
    const start = (args: string[], env2: Record<string, string>) =>
      spawnCli([BIN, ...args], { cwd: ROOT, env: env2, started: processes });
    const file = spiderFile(spider);
    if (mode === 'standalone') {
      // One process with all four components, on the same real servers.
      start(['standalone', '--port', String(port), '--spider', file], {
        ...crawlerEnv,
        WAIT_FOR_RESPONSE_TIME: '20',
      });
    } else {
      start(['kafka-monitor', 'run'], common);
      start(['redis-monitor'], common);
      start(['crawler', '--spider', file], crawlerEnv);
      start(['crawler', '--spider', file], crawlerEnv);
      start(['rest'], { ...common, FLASK_PORT: String(port), WAIT_FOR_RESPONSE_TIME: '20' });
    }
    await waitFor(
      async () => {
        try {
          const index = (await (await fetch(rest)).json()) as { node_health: string };
          return index.node_health === 'GREEN';
        } catch {
          return false;
        }
      },
      60_000,
      'the REST service to be GREEN',
    );
  }, 120_000);

  afterAll(async () => {
    await killAll(processes);
    await outboundSub?.close();
    await outboundBus?.close();
    await crawled?.close();
    await web?.close();
  });

  describe('the walkthrough', () => {
    it('crawls a fed crawl onto the crawled topic', async () => {
      const seed = web.url(0, '/');
      const { status } = await feed({ url: seed, appid, crawlid: 'first', spiderid: spider, maxdepth: 2 });
      expect(status).toBe(200);
      const expected = web.reachablePages(seed, { maxDepth: 2 });
      await waitFor(
        () => new Set(crawled.urls('first')).size >= expected.size,
        90_000,
        `${expected.size} pages`,
      );
      expect(new Set(crawled.urls('first'))).toEqual(new Set(expected.keys()));
    });

    it('answers info, slows a domain through ZooKeeper, and stops a crawl with total_purged', async () => {
      const host = web.host(1);
      const update = await feed({
        uuid: `${id}-zk`,
        appid,
        domain: host,
        action: 'domain-update',
        hits: 2,
        window: 4,
      });
      expect(update.data).toMatchObject({ action: 'domain-update', domain: host, uuid: `${id}-zk` });
      await sleep(1500); // the crawlers' watchers apply it
      web.reset();
      const seed = web.url(1, '/');
      await feed({ url: seed, appid, crawlid: 'second', spiderid: spider, maxdepth: 2 });
      await waitFor(() => crawled.urls('second').length >= 2, 60_000, 'two pages of the slow crawl');
      const info = await feed({
        action: 'info',
        appid,
        crawlid: 'second',
        uuid: `${id}-info`,
        spiderid: spider,
      });
      expect(info.data).toMatchObject({ appid, crawlid: 'second', spiderid: spider, uuid: `${id}-info` });
      expect(Number(info.data!.total_pending)).toBeGreaterThan(0);
      const stop = await feed({
        action: 'stop',
        appid,
        crawlid: 'second',
        uuid: `${id}-stop`,
        spiderid: spider,
      });
      expect(stop.data).toMatchObject({ action: 'stop', crawlid: 'second', uuid: `${id}-stop` });
      expect(Number(stop.data!.total_purged)).toBeGreaterThan(0);
      await sleep(3000); // requests in flight may finish
      const afterStop = crawled.urls('second').length;
      await sleep(5000);
      expect(crawled.urls('second').length).toBe(afterStop);
      const times = web
        .requestsFor(host)
        .filter((r) => r.path !== '/robots.txt')
        .map((r) => r.time / 1000)
        .sort();
      // 2 hits per 4 s instead of the default 10 per second: any three requests span most of a window
      // (a little less allowed for jitter between the crawler and this process's clock reading).
      expect(times.length).toBeGreaterThanOrEqual(2);
      for (let i = 2; i < times.length; i++) expect(times[i]! - times[i - 2]!).toBeGreaterThan(3.5);
    });

    it('notifies when a crawl expires', async () => {
      const expires = Math.floor(Date.now() / 1000) + 3;
      await feed({
        url: web.url(0, '/page/3'),
        appid,
        crawlid: 'third',
        spiderid: spider,
        maxdepth: 3,
        expires,
      });
      await waitFor(
        () => outbound.some((m) => m.action === 'expired' && m.crawlid === 'third'),
        60_000,
        'the expired notification',
      );
      const notice = outbound.find((m) => m.action === 'expired' && m.crawlid === 'third')!;
      expect(notice).toMatchObject({ appid, spiderid: spider, crawlid: 'third' });
      expect(typeof notice.total_expired).toBe('number');
    });

    it('answers a stats request for everything', async () => {
      const stats = await feed({ uuid: `${id}-stats`, appid, stats: 'all' });
      expect(stats.data).toMatchObject({ stats: 'all', appid, uuid: `${id}-stats` });
      for (const section of ['kafka-monitor', 'redis-monitor', 'crawler', 'rest'])
        expect(stats.data).toHaveProperty(section);
    });
  });
}
