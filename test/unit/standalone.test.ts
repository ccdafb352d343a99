/**
 * The single-process cluster on the in-memory bus and store: a crawl fed through `POST /feed` over real
 * HTTP reaches the `--output` file and the `/stream/crawled` Server-Sent Events stream; stats replies come
 * back synchronously (and on `/stream/outbound`); a zookeeper domain-update edits the embedded config
 * node the crawler follows; everything shuts down cleanly.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryConfigNode } from '../../src/redis-monitor/zookeeper/config-node.js';
import { feed, openStream } from '../../src/standalone/demo/client.js';
import {
  resolveStandaloneSettings,
  startStandalone,
  type StandaloneCluster,
} from '../../src/standalone/index.js';
import { startTestWeb, type TestWeb } from '../../src/testweb/index.js';
import { captureLogger, waitFor } from '../support/capture-logger.js';

type Json = Record<string, unknown>;

/** Collects a Server-Sent Events endpoint's events, parsed, with the demo's client. */
async function sse(url: string) {
  const events: Json[] = [];
  const stream = await openStream(url, (data) => events.push(JSON.parse(data) as Json));
  return {
    headers: stream.headers,
    events,
    async close() {
      stream.close();
      await stream.done;
    },
  };
}

async function post(base: string, body: Json): Promise<{ status: number; body: Json }> {
  const answer = await feed(base, body);
  return {
    status: answer.httpStatus,
    body: { status: answer.status, data: answer.data, error: answer.error },
  };
}

describe('standalone (in memory)', () => {
  let web: TestWeb;
  let cluster: StandaloneCluster;
  let dir: string;
  let output: string;
  const { logger, lines } = captureLogger('standalone', 'WARNING');

  beforeAll(async () => {
    web = await startTestWeb({ domains: 3, pagesPerDomain: 12, record: false });
    dir = mkdtempSync(join(tmpdir(), 'sc-standalone-'));
    output = join(dir, 'crawled.jsonl');
    cluster = await startStandalone({
      env: {},
      overrides: {
        ...web.fetcherSettings(),
        QUEUE_HITS: 50,
        QUEUE_WINDOW: 1,
        QUEUE_MODERATED: false,
        SCHEDULER_QUEUE_REFRESH: 0.3,
        KAFKA_PRODUCER_BATCH_LINGER_MS: 5,
        STATS_DUMP: 0,
      },
      output,
      port: 0,
      host: '127.0.0.1',
      logger,
      graceSeconds: 1,
    });
  });

  afterAll(async () => {
    await cluster?.close();
    await web?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs in memory with the embedded config node by default, and on servers only when named', async () => {
    expect(cluster.backends).toEqual({ store: 'memory', bus: 'memory', config: 'memory' });
    expect(cluster.configNode).toBeInstanceOf(MemoryConfigNode);
    expect(cluster.settings.crawler.SCHEDULER_IP_ENABLED).toBe(false);
    expect(cluster.settings.crawler.QUEUE_HITS).toBe(50);
    const named = await resolveStandaloneSettings({ env: { REDIS_HOST: 'redis.example' } });
    expect(named.real).toEqual({ redis: true, kafka: false, zookeeper: false });
    expect(named.rest.REDIS_HOST).toBe('redis.example');
    // The original's polite throttle stays the default.
    const plain = await resolveStandaloneSettings({ env: {} });
    expect(plain.crawler).toMatchObject({ QUEUE_HITS: 10, QUEUE_WINDOW: 60, QUEUE_MODERATED: true });
    expect(plain.rest.REST_BIND).toBe('127.0.0.1');
  });

  it('crawls a feed to the output file and the crawled stream', async () => {
    const stream = await sse(`${cluster.url}/stream/crawled`);
    try {
      expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const crawlid = `c${randomUUID().slice(0, 6)}`;
      const seed = web.url(0, '/');
      const expected = web.reachablePages(seed, { maxDepth: 1 });
      const fed = await post(cluster.url, { url: seed, appid: 'testapp', crawlid, maxdepth: 1 });
      expect(fed).toEqual({ status: 200, body: { status: 'SUCCESS', data: null, error: null } });
      const fileRecords = (): Json[] =>
        readFileSync(output, 'utf8')
          .split('\n')
          .filter((l) => l.trim() !== '')
          .map((l) => JSON.parse(l) as Json)
          .filter((r) => r.crawlid === crawlid);
      await waitFor(() => fileRecords().length >= expected.size, 15_000, `${expected.size} results`);
      await waitFor(
        () => stream.events.filter((e) => e.crawlid === crawlid).length >= expected.size,
        5_000,
        'streamed results',
      );
      const urls = fileRecords().map((r) => r.url);
      expect(new Set(urls)).toEqual(new Set(expected.keys()));
      expect(urls).toHaveLength(expected.size);
      expect(new Set(stream.events.filter((e) => e.crawlid === crawlid).map((e) => e.url))).toEqual(
        new Set(expected.keys()),
      );
      expect(fileRecords().find((r) => r.url === seed)).toMatchObject({
        appid: 'testapp',
        status_code: 200,
      });
    } finally {
      await stream.close();
    }
  });

  it('filters a stream by crawlid', async () => {
    const stream = await sse(`${cluster.url}/stream/crawled?crawlid=wanted`);
    try {
      const other = `c${randomUUID().slice(0, 6)}`;
      await post(cluster.url, { url: web.url(1, '/page/3'), appid: 'testapp', crawlid: other, maxdepth: 0 });
      await post(cluster.url, {
        url: web.url(1, '/page/4'),
        appid: 'testapp',
        crawlid: 'wanted',
        maxdepth: 0,
      });
      await waitFor(() => stream.events.length >= 1, 15_000, 'the wanted page');
      await new Promise((r) => setTimeout(r, 300));
      expect(stream.events.map((e) => e.crawlid)).toEqual(['wanted']);
    } finally {
      await stream.close();
    }
  });

  it('answers a stats request synchronously through /feed, and streams the reply on /stream/outbound', async () => {
    const outbound = await sse(`${cluster.url}/stream/outbound`);
    try {
      const uuid = randomUUID();
      const { status, body } = await post(cluster.url, { appid: 'testapp', uuid, stats: 'all' });
      expect(status).toBe(200);
      expect(body.status).toBe('SUCCESS');
      const data = body.data as Json;
      expect(data).toMatchObject({ uuid, appid: 'testapp', stats: 'all' });
      expect(Object.keys(data)).toEqual(
        expect.arrayContaining(['kafka-monitor', 'redis-monitor', 'crawler', 'rest']),
      );
      await waitFor(() => outbound.events.some((e) => e.uuid === uuid), 5_000, 'the reply on the stream');
    } finally {
      await outbound.close();
    }
  });

  it('applies a zookeeper domain-update to the embedded node the crawler follows', async () => {
    const domain = web.host(2);
    const uuid = randomUUID();
    const { body } = await post(cluster.url, {
      uuid,
      appid: 'testapp',
      action: 'domain-update',
      domain,
      hits: 7,
      window: 30,
      scale: 0.5,
    });
    expect(body.data).toMatchObject({ uuid, action: 'domain-update', domain });
    expect((body.data as Json).error).toBeUndefined();
    expect(cluster.configNode!.text).toContain(domain);
    await waitFor(() => cluster.crawler.domainConfig.rate(domain) !== undefined, 2_000, 'the crawler');
    expect(cluster.crawler.domainConfig.rate(domain)).toEqual({ window: 30, hits: 3 });
    expect(cluster.crawler.throttleFor(domain)).toMatchObject({ limit: 3 });

    await post(cluster.url, { uuid: randomUUID(), appid: 'testapp', action: 'domain-remove', domain });
    await waitFor(() => cluster.crawler.domainConfig.rate(domain) === undefined, 2_000, 'the removal');
  });

  it('logs no errors and shuts down cleanly', async () => {
    expect(lines.filter((l) => l.level === 'ERROR' || l.level === 'CRITICAL')).toEqual([]);
    const url = cluster.url;
    await cluster.close();
    await cluster.close(); // idempotent
    await expect(fetch(`${url}/`)).rejects.toThrow();
  });
});

describe('MemoryConfigNode.subscribe', () => {
  it('reports the current contents and every change until unsubscribed', async () => {
    const node = new MemoryConfigNode('/x', 'a: 1\n');
    const seen: string[] = [];
    const off = node.subscribe((text) => seen.push(text));
    await node.write('a: 2\n', 0);
    off();
    await node.write('a: 3\n', 1);
    expect(seen).toEqual(['a: 1\n', 'a: 2\n']);
  });
});
