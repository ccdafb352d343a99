/**
 * The single-process cluster on the real Redis, Kafka and ZooKeeper (named through the environment, as a
 * user would): a crawl fed through `POST /feed` reaches the output file and `/stream/crawled`; info and
 * stats replies come back through /feed; a zookeeper domain-update reaches the crawler through ZooKeeper.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandalone, type StandaloneCluster } from '../../src/standalone/index.js';
import { startTestWeb, type TestWeb } from '../../src/testweb/index.js';
import { captureLogger, waitFor } from '../support/capture-logger.js';
import { uniqueLinkSpider } from '../support/crawl-cluster.js';
import { servicesEnv } from '../support/services.js';

type Json = Record<string, unknown>;

async function post(base: string, body: Json): Promise<Json> {
  const response = await fetch(`${base}/feed`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return (await response.json()) as Json;
}

describe('standalone on the real servers', () => {
  let web: TestWeb;
  let cluster: StandaloneCluster;
  let dir: string;
  let output: string;
  const spider = uniqueLinkSpider();
  const prefix = `sa${randomUUID().slice(0, 8)}`;
  const { logger, lines } = captureLogger('standalone', 'WARNING');
  const streamed: Json[] = [];
  const controller = new AbortController();
  let reading: Promise<void> | undefined;

  beforeAll(async () => {
    const env = servicesEnv();
    web = await startTestWeb({ domains: 2, pagesPerDomain: 10, record: false });
    dir = mkdtempSync(join(tmpdir(), 'sc-standalone-real-'));
    output = join(dir, 'crawled.jsonl');
    cluster = await startStandalone({
      env: {
        REDIS_HOST: env.REDIS_HOST,
        REDIS_PORT: String(env.REDIS_PORT),
        KAFKA_HOSTS: env.KAFKA_HOSTS,
        ZOOKEEPER_HOSTS: env.ZOOKEEPER_HOSTS,
      },
      overrides: {
        ...web.fetcherSettings(),
        KAFKA_TOPIC_PREFIX: prefix,
        KAFKA_INCOMING_TOPIC: `${prefix}.incoming`,
        KAFKA_PRODUCER_TOPIC: `${prefix}.incoming`,
        KAFKA_GROUP: `${prefix}-km`,
        ZOOKEEPER_ID: prefix,
        QUEUE_HITS: 50,
        QUEUE_WINDOW: 1,
        QUEUE_MODERATED: false,
        SCHEDULER_QUEUE_REFRESH: 0.5,
        KAFKA_PRODUCER_BATCH_LINGER_MS: 5,
        STATS_DUMP: 0,
        SLEEP_TIME: 0.1,
      },
      output,
      port: 0,
      host: '127.0.0.1',
      spider,
      logger,
      graceSeconds: 1,
    });
    const response = await fetch(`${cluster.url}/stream/crawled`, { signal: controller.signal });
    reading = (async () => {
      let buffer = '';
      const decoder = new TextDecoder();
      try {
        for await (const chunk of response.body!) {
          buffer += decoder.decode(chunk as Uint8Array, { stream: true });
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const data = buffer
              .slice(0, end)
              .split('\n')
              .filter((l) => l.startsWith('data: '))
              .map((l) => l.slice(6));
            buffer = buffer.slice(end + 2);
            if (data.length > 0) streamed.push(JSON.parse(data.join('\n')) as Json);
          }
        }
      } catch {
        // aborted
      }
    })();
  });

  afterAll(async () => {
    controller.abort();
    await reading;
    await cluster?.close();
    await web?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('uses the servers named in the environment', () => {
    expect(cluster.backends).toEqual({ store: 'redis', bus: 'kafka', config: 'zookeeper' });
    expect(cluster.configNode).toBeUndefined();
  });

  it('crawls a feed to the output file and the stream, and answers info and stats', async () => {
    const crawlid = `c${randomUUID().slice(0, 6)}`;
    const seed = web.url(0, '/');
    const expected = web.reachablePages(seed, { maxDepth: 1 });
    expect(
      await post(cluster.url, {
        url: seed,
        appid: 'testapp',
        crawlid,
        maxdepth: 1,
        spiderid: spider.spiderName,
      }),
    ).toMatchObject({ status: 'SUCCESS' });
    const fromFile = (): string[] =>
      readFileSync(output, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Json)
        .filter((r) => r.crawlid === crawlid)
        .map((r) => String(r.url));
    await waitFor(() => fromFile().length >= expected.size, 45_000, `${expected.size} results`);
    await waitFor(
      () => streamed.filter((e) => e.crawlid === crawlid).length >= expected.size,
      10_000,
      'the streamed results',
    );
    expect(new Set(fromFile())).toEqual(new Set(expected.keys()));

    const infoUuid = randomUUID();
    const info = await post(cluster.url, {
      action: 'info',
      appid: 'testapp',
      crawlid,
      spiderid: spider.spiderName,
      uuid: infoUuid,
    });
    expect(info.data).toMatchObject({ uuid: infoUuid, total_pending: 0 });

    const statsUuid = randomUUID();
    const stats = await post(cluster.url, { appid: 'testapp', uuid: statsUuid, stats: 'kafka-monitor' });
    expect(stats.data).toMatchObject({ uuid: statsUuid, stats: 'kafka-monitor' });
  });

  it('applies a zookeeper domain-update through ZooKeeper to the crawler', async () => {
    const domain = web.host(1);
    const uuid = randomUUID();
    const reply = await post(cluster.url, {
      uuid,
      appid: 'testapp',
      action: 'domain-update',
      domain,
      hits: 4,
      window: 20,
    });
    expect(reply.data).toMatchObject({ uuid, action: 'domain-update', domain });
    expect((reply.data as Json).error).toBeUndefined();
    await waitFor(() => cluster.crawler.domainConfig.rate(domain)?.hits === 4, 15_000, 'the watch');
    expect(cluster.crawler.domainConfig.rate(domain)).toEqual({ hits: 4, window: 20 });
    expect(lines.filter((l) => l.level === 'ERROR' || l.level === 'CRITICAL')).toEqual([]);
  });
});
