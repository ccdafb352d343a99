/**
 * The Redis Monitor on the real Redis, Kafka and ZooKeeper of the harness. Jobs are written by the Kafka
 * Monitor from fed requests (in-process, as `kafka-monitor run`), or directly where the Kafka Monitor
 * adds nothing (leases, a custom plugin's keys). Every test has its own topic prefix, spider, appids and
 * ZooKeeper path, and the whole file works in its own Redis database, so no other test's monitor can
 * take its jobs (nor this file's monitors theirs).
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KafkaBus, kafkaBrokerList, type Subscription } from '../../src/core/bus/index.js';
import { resolveSettings } from '../../src/settings.js';
import { connectStore, type Store } from '../../src/core/store/index.js';
import {
  closeZookeeper,
  connectZookeeper,
  createNode,
  getData,
  type ZookeeperClient,
} from '../../src/core/zookeeper/index.js';
import { KafkaMonitor } from '../../src/kafka-monitor/monitor.js';
import { RedisMonitor } from '../../src/redis-monitor/index.js';
import { captureLogger, waitFor, type CapturedLog } from '../support/capture-logger.js';
import { servicesEnv } from '../support/services.js';
import { TEST_REDIS_DBS } from '../support/redis-dbs.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURE = './test/fixtures/redis-monitor-plugins.ts';
const DB = TEST_REDIS_DBS.redisMonitor;
const RUN = randomUUID().slice(0, 6);

type Json = Record<string, unknown>;

let producer: KafkaBus;
let store: Store;
let zk: ZookeeperClient;
const cleanups: (() => Promise<void>)[] = [];
let seq = 0;

/** Names unique to one test. */
function names(what: string) {
  const id = `rm${RUN}${what}${++seq}`;
  return { id, prefix: id, spider: `sp${id}`, appid: `app${id}`, zkPath: `/${id}/crawler/` };
}

function monitorSettings(prefix: string, overrides: Json = {}) {
  const { REDIS_HOST, REDIS_PORT, KAFKA_HOSTS, ZOOKEEPER_HOSTS } = servicesEnv();
  return resolveSettings('redis-monitor', {
    env: {},
    overrides: {
      REDIS_HOST,
      REDIS_PORT,
      REDIS_DB: DB,
      KAFKA_HOSTS,
      ZOOKEEPER_HOSTS,
      KAFKA_TOPIC_PREFIX: prefix,
      ZOOKEEPER_ASSIGN_PATH: `/${prefix}/crawler/`,
      SLEEP_TIME: 0.05,
      STATS_DUMP: 0,
      STATS_TIMES: ['SECONDS_15_MINUTE'],
      ...overrides,
    },
  });
}

interface RunningMonitor {
  monitor: RedisMonitor;
  lines: CapturedLog[];
}

/** A Redis Monitor as `scrapy-cluster redis-monitor` runs it: its own Redis and Kafka connections. */
async function startRedisMonitor(
  prefix: string,
  overrides: Json = {},
  plugins: Record<string, number | null> = {},
): Promise<RunningMonitor> {
  const settings = monitorSettings(prefix, overrides);
  // Module-path keys are added after resolving, so they reach the monitor exactly as written.
  settings.PLUGINS = { ...settings.PLUGINS, ...plugins } as Record<string, number>;
  const own = await connectStore(settings, 'redis-monitor-test');
  const bus = await KafkaBus.connect({ brokers: kafkaBrokerList(settings.KAFKA_HOSTS), clientId: prefix });
  const { logger, lines } = captureLogger('redis-monitor');
  const monitor = await RedisMonitor.create({ settings, store: own, bus, logger, pluginDir: REPO_ROOT });
  monitor.start();
  cleanups.push(async () => {
    await monitor.close();
    await bus.close();
    await own.close();
  });
  return { monitor, lines };
}

/** A Kafka Monitor writing into this file's database; returns `feed`. */
async function startKafkaMonitor(prefix: string): Promise<(requests: Json[]) => Promise<void>> {
  const { REDIS_HOST, REDIS_PORT, KAFKA_HOSTS } = servicesEnv();
  const topic = `${prefix}.incoming`;
  const settings = resolveSettings('kafka-monitor', {
    env: {},
    overrides: {
      REDIS_HOST,
      REDIS_PORT,
      REDIS_DB: DB,
      KAFKA_HOSTS,
      KAFKA_INCOMING_TOPIC: topic,
      KAFKA_GROUP: `${prefix}-group`,
      STATS_DUMP: 0,
      STATS_TIMES: ['SECONDS_15_MINUTE'],
    },
  });
  const own = await connectStore(settings, 'kafka-monitor-test');
  const bus = await KafkaBus.connect({ brokers: kafkaBrokerList(KAFKA_HOSTS), clientId: `${prefix}-km` });
  const { logger } = captureLogger('kafka-monitor');
  const monitor = await KafkaMonitor.create({ settings, store: own, bus, logger });
  await monitor.start();
  cleanups.push(async () => {
    await monitor.close();
    await bus.close();
    await own.close();
  });
  return (requests) =>
    producer.send(
      topic,
      requests.map((r) => JSON.stringify(r)),
    );
}

/** Every reply arriving on `<prefix>.outbound_firehose` from now on. */
async function outbound(prefix: string, topic = `${prefix}.outbound_firehose`): Promise<Json[]> {
  const replies: Json[] = [];
  const subscription: Subscription = await producer.subscribe({
    topics: [topic],
    fromBeginning: true,
    handler: async (messages) => {
      for (const m of messages) replies.push(JSON.parse(m.value) as Json);
    },
  });
  cleanups.push(() => subscription.close());
  return replies;
}

const byUuid = (replies: Json[], uuid: string) => replies.find((r) => r.uuid === uuid);
const messagesOf = (lines: CapturedLog[], message: string) => lines.filter((l) => l.message === message);

/** A crawl request as clients feed it. */
function crawl(spider: string, appid: string, crawlid: string, url: string, extra: Json = {}): Json {
  return { url, appid, crawlid, spiderid: spider, ...extra };
}

/** A leased (in-flight) request as the crawlers keep it. */
async function lease(spider: string, id: string, item: Json): Promise<void> {
  await store.hset(`${spider}:leased`, {
    [id]: JSON.stringify({
      queue: `${spider}:example.com:queue`,
      score: -1,
      item: JSON.stringify(item),
      owner: 'crawler-x',
      expires: 1999999999,
    }),
  });
  await store.zadd(`${spider}:leases`, [{ member: id, score: 1999999999 }]);
}

async function queued(spider: string): Promise<Json[]> {
  const out: Json[] = [];
  for await (const keys of store.scan(`${spider}:*:queue`)) {
    for (const key of keys) for (const m of await store.zrange(key, 0, -1)) out.push(JSON.parse(m) as Json);
  }
  return out;
}

async function readNode(path: string): Promise<string> {
  return (await getData(zk, path)).text;
}

beforeAll(async () => {
  const { KAFKA_HOSTS, REDIS_HOST, REDIS_PORT, ZOOKEEPER_HOSTS } = servicesEnv();
  producer = await KafkaBus.connect({ brokers: kafkaBrokerList(KAFKA_HOSTS), clientId: `rm-test-${RUN}` });
  store = await connectStore({ REDIS_HOST, REDIS_PORT, REDIS_DB: DB }, 'redis-monitor-checker');
  zk = await connectZookeeper(ZOOKEEPER_HOSTS, 20_000);
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(async () => {
  await producer?.close();
  await store?.close();
  if (zk) await closeZookeeper(zk);
});

describe('Redis Monitor on the real servers', () => {
  it('answers info, stats and zookeeper requests fed through the Kafka Monitor, in the original shapes', async () => {
    const { prefix, spider, appid } = names('shapes');
    const feed = await startKafkaMonitor(prefix);
    await feed([
      crawl(spider, appid, 'c1', 'http://www.example.com/a', { priority: 50, expires: 1999999999 }),
      crawl(spider, appid, 'c1', 'http://www.example.com/b', { priority: 40, expires: 1999999999 }),
      crawl(spider, appid, 'c1', 'http://other.org/a', { priority: 30, expires: 1999999999 }),
      crawl(spider, appid, 'c2', 'http://other.org/b', { priority: 10 }),
    ]);
    await waitFor(async () => (await queued(spider)).length === 4, 30_000, 'the queued crawl');
    const replies = await outbound(prefix);
    await startRedisMonitor(prefix);
    await feed([
      { action: 'info', appid, crawlid: 'c1', uuid: 'info-c1', spiderid: spider },
      { action: 'info', appid, uuid: 'info-app', spiderid: spider },
      { stats: 'kafka-monitor', appid, uuid: 'stats-km' },
      { stats: 'queue', appid, uuid: 'stats-queue' },
      {
        uuid: 'zk-1',
        appid,
        domain: 'example.com',
        action: 'domain-update',
        hits: 15,
        window: 60,
        scale: 0.9,
      },
    ]);
    await waitFor(() => replies.length >= 5, 30_000, 'five replies');

    const crawlInfo = byUuid(replies, 'info-c1')!;
    expect(crawlInfo).toEqual({
      uuid: 'info-c1',
      total_pending: 3,
      server_time: expect.any(Number),
      spiderid: spider,
      appid,
      crawlid: 'c1',
      total_domains: 2,
      domains: {
        'example.com': { total: 2, high_priority: 50, low_priority: 40 },
        'other.org': { total: 1, high_priority: 30, low_priority: 30 },
      },
      expires: '1999999999',
      live_crawlers: 0, // no crawler of this test's spider type runs
    });
    expect(byUuid(replies, 'info-app')).toEqual({
      uuid: 'info-app',
      total_pending: 4,
      server_time: expect.any(Number),
      spiderid: spider,
      appid,
      total_crawlids: 2,
      total_domains: 2,
      crawlids: {
        c1: {
          total: 3,
          distinct_domains: 2,
          expires: 1999999999,
          domains: {
            'example.com': { total: 2, high_priority: 50, low_priority: 40 },
            'other.org': { total: 1, high_priority: 30, low_priority: 30 },
          },
        },
        c2: {
          total: 1,
          distinct_domains: 1,
          domains: { 'other.org': { total: 1, high_priority: 10, low_priority: 10 } },
        },
      },
      live_crawlers: 0,
    });
    const km = byUuid(replies, 'stats-km')!;
    expect(km).toMatchObject({ stats: 'kafka-monitor', appid, server_time: expect.any(Number) });
    expect(km.total).toMatchObject({ '900': expect.any(Number), lifetime: expect.any(Number) });
    expect(Object.keys(km.plugins as Json)).toEqual(
      expect.arrayContaining(['ScraperHandler', 'ActionHandler']),
    );
    expect(Object.keys(km.nodes as Json).length).toBeGreaterThan(0);
    const queue = byUuid(replies, 'stats-queue')!;
    expect((queue.queues as Json)[`queue_${spider}`]).toEqual({
      spider_backlog: 4,
      num_domains: 2,
      domains: [
        { domain: 'example.com', backlog: 2 },
        { domain: 'other.org', backlog: 2 },
      ],
    });
    expect(byUuid(replies, 'zk-1')).toEqual({
      uuid: 'zk-1',
      server_time: expect.any(Number),
      action: 'domain-update',
      domain: 'example.com',
      appid,
    });
    expect(await readNode(`/${prefix}/crawler/all`)).toBe(
      'blacklist: []\ndomains:\n  example.com:\n    hits: 15\n    scale: 0.9\n    window: 60\n',
    );
    // Jobs are gone once answered.
    expect(await store.exists(`info:${spider}:${appid}:c1`)).toBe(false);
    expect(await store.exists(`statsrequest:queue:${appid}`)).toBe(false);
  });

  it('stops and expires exactly the crawl asked for, queued and leased, and nothing else', async () => {
    const { prefix, spider, appid } = names('purge');
    const feed = await startKafkaMonitor(prefix);
    const past = Math.floor(Date.now() / 1000) - 10;
    const future = Math.floor(Date.now() / 1000) + 3600;
    await feed([
      ...['a', 'b', 'c'].map((p) =>
        crawl(spider, appid, 'stopme', `http://example.com/${p}`, { expires: future }),
      ),
      ...['a', 'b'].map((p) => crawl(spider, appid, 'expireme', `http://other.org/${p}`, { expires: past })),
      crawl(spider, appid, 'keep', 'http://example.com/keep'),
      crawl(spider, `${appid}x`, 'stopme', 'http://example.com/other-app'),
    ]);
    await waitFor(async () => (await queued(spider)).length === 7, 30_000, 'the queued crawls');
    await lease(spider, 'l-stop', { url: 'http://example.com/inflight', appid, crawlid: 'stopme' });
    await lease(spider, 'l-exp', { url: 'http://other.org/inflight', meta: { appid, crawlid: 'expireme' } });
    await lease(spider, 'l-keep', { url: 'http://example.com/inflight2', appid, crawlid: 'keep' });
    expect(await store.get(`timeout:${spider}:${appid}:expireme`)).toBe(String(past));

    const replies = await outbound(prefix);
    await startRedisMonitor(prefix);
    await waitFor(() => replies.some((r) => r.action === 'expired'), 30_000, 'the expired notification');
    expect(replies.find((r) => r.action === 'expired')).toEqual({
      server_time: expect.any(Number),
      crawlid: 'expireme',
      spiderid: spider,
      appid,
      total_expired: 3,
      action: 'expired',
    });
    await waitFor(
      async () => !(await store.exists(`timeout:${spider}:${appid}:expireme`)),
      10_000,
      'the timeout key',
    );

    await feed([{ action: 'stop', appid, crawlid: 'stopme', uuid: 'stop-1', spiderid: spider }]);
    await waitFor(() => byUuid(replies, 'stop-1') !== undefined, 30_000, 'the stop reply');
    expect(byUuid(replies, 'stop-1')).toEqual({
      action: 'stop',
      spiderid: spider,
      appid,
      crawlid: 'stopme',
      total_purged: 4,
      uuid: 'stop-1',
      server_time: expect.any(Number),
    });
    const left = (await queued(spider)).map(
      (r) => `${String(r.appid)}/${String(r.crawlid)}/${String(r.url)}`,
    );
    expect(left.sort()).toEqual([
      `${appid}/keep/http://example.com/keep`,
      `${appid}x/stopme/http://example.com/other-app`,
    ]);
    expect(Object.keys(await store.hgetall(`${spider}:leased`))).toEqual(['l-keep']);
    expect(await store.zrange(`${spider}:leases`, 0, -1)).toEqual(['l-keep']);
    expect((await store.smembers(`${spider}:blacklist`)).sort()).toEqual([
      `${appid}||expireme`,
      `${appid}||stopme`,
    ]);
    expect(await store.exists(`timeout:${spider}:${appid}:stopme`)).toBe(false);

    // A stop without crawlid: a warning, no reply, the job removed.
    await feed([{ action: 'stop', appid, uuid: 'stop-2', spiderid: spider }]);
    await waitFor(async () => !(await store.exists(`stop:${spider}:${appid}`)), 30_000, 'the refused stop');
    expect(byUuid(replies, 'stop-2')).toBeUndefined();
  });

  it('two monitors at once answer every job exactly once', async () => {
    const { prefix, spider } = names('pair');
    const feed = await startKafkaMonitor(prefix);
    const jobs = Array.from({ length: 60 }, (_, i) => ({
      action: 'info',
      appid: `pairapp${i}`,
      crawlid: 'c',
      uuid: `pair-${i}`,
      spiderid: spider,
    }));
    await feed(jobs);
    await waitFor(
      async () =>
        (await store.exists(`info:${spider}:pairapp59:c`)) &&
        (await store.exists(`info:${spider}:pairapp0:c`)),
      30_000,
      'the jobs',
    );
    const replies = await outbound(prefix);
    const [a, b] = await Promise.all([startRedisMonitor(prefix), startRedisMonitor(prefix)]);
    await waitFor(() => replies.length >= jobs.length, 60_000, 'every reply');
    // Let both monitors make more passes: nothing may be answered twice.
    await waitFor(
      () =>
        messagesOf(a.lines, 'Sent info to kafka').length + messagesOf(b.lines, 'Sent info to kafka').length >=
        60,
      10_000,
      'the log lines',
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(replies.map((r) => String(r.uuid)).sort()).toEqual(jobs.map((j) => j.uuid).sort());
    const sentA = messagesOf(a.lines, 'Sent info to kafka').length;
    const sentB = messagesOf(b.lines, 'Sent info to kafka').length;
    expect(sentA + sentB).toBe(jobs.length);
  });

  it('retries a throwing handler RETRY_FAILURES_MAX times, then drops the job with an error', async () => {
    const { prefix } = names('flaky');
    const { lines } = await startRedisMonitor(
      prefix,
      { FLAKY_PREFIX: `${prefix}-flaky`, RETRY_FAILURES_MAX: 3 },
      { [`${FIXTURE}#FlakyMonitor`]: 600 },
    );
    await store.set(`${prefix}-flaky:job1`, 'payload');
    await waitFor(async () => !(await store.exists(`${prefix}-flaky:job1`)), 30_000, 'the job to be dropped');
    expect(await store.get(`${prefix}-flaky-attempts`)).toBe('4');
    expect(await store.exists(`lock:${prefix}-flaky:job1:failures`)).toBe(false);
    expect(messagesOf(lines, 'Error processing key')).toHaveLength(4);
    expect(messagesOf(lines, 'Could not process action within failure limit')).toEqual([
      expect.objectContaining({ key: `${prefix}-flaky:job1`, plugin: 'FlakyMonitor' }),
    ]);
  });

  it('runs the original online test plugin from a module path', async () => {
    const { prefix } = names('custom');
    const replies = await outbound(prefix);
    await startRedisMonitor(prefix, {}, { [`${FIXTURE}#InfoTestMonitor`]: 600 });
    // Unique key: `info-test:*` jobs of other runs must not be taken by this file's monitors.
    await store.set(`info-test:${prefix}`, 'ABC1234');
    await waitFor(() => replies.length > 0, 30_000, 'the reply');
    expect(replies).toEqual([{ 'info-test': 'ABC1234', appid: 'someapp' }]);
    // The job key is deleted right after the reply is acknowledged.
    await waitFor(async () => !(await store.exists(`info-test:${prefix}`)), 10_000, 'the job key to go');
  });

  it('edits the zookeeper config like the original, keeps other content, and never overwrites a broken node', async () => {
    const { prefix, appid } = names('zk');
    const path = `/${prefix}/crawler/all`;
    await createNode(
      zk,
      path,
      'blacklist:\n- bingo.com\ndomains:\n  cnn.com:\n    hits: 15\n    scale: 0.9\n    window: 60\n',
      {
        parents: true,
      },
    );
    const feed = await startKafkaMonitor(prefix);
    const replies = await outbound(prefix);
    await startRedisMonitor(prefix);
    const run = async (request: Json) => {
      const before = replies.length;
      await feed([{ appid, ...request }]);
      await waitFor(() => replies.length > before, 30_000, `the reply to ${String(request.uuid)}`);
      return replies.at(-1)!;
    };
    await run({
      uuid: 'z1',
      domain: 'dmoztools.net',
      action: 'domain-update',
      hits: 60,
      window: 60,
      scale: 1.0,
    });
    expect(await readNode(path)).toBe(
      'blacklist:\n- bingo.com\ndomains:\n  cnn.com:\n    hits: 15\n    scale: 0.9\n    window: 60\n' +
        '  dmoztools.net:\n    hits: 60\n    scale: 1.0\n    window: 60\n',
    );
    await run({ uuid: 'z2', domain: 'cnn.com', action: 'domain-remove' });
    await run({ uuid: 'z3', domain: 'dmoztools.net', action: 'domain-remove' });
    await run({ uuid: 'z4', domain: 'bingo.com', action: 'blacklist-remove' });
    expect(await readNode(path)).toBe('blacklist: []\ndomains: {}\n');
    expect(await run({ uuid: 'z5', domain: 'ebay.com', action: 'blacklist-update' })).toEqual({
      uuid: 'z5',
      server_time: expect.any(Number),
      action: 'blacklist-update',
      domain: 'ebay.com',
      appid,
    });
    expect(await readNode(path)).toBe('blacklist:\n- ebay.com\ndomains: {}\n');

    // A node that is not a domain config is reported, never replaced.
    const { setData } = await import('../../src/core/zookeeper/index.js');
    await setData(zk, path, 'domains: [not, a, mapping]\n');
    expect(await run({ uuid: 'z6', domain: 'a.com', action: 'blacklist-update' })).toMatchObject({
      uuid: 'z6',
      error: 'Unable to load Zookeeper config',
    });
    expect(await readNode(path)).toBe('domains: [not, a, mapping]\n');
  });

  it('loses no zookeeper change when two monitors edit the config at once', async () => {
    const { prefix, appid } = names('zkpair');
    const path = `/${prefix}/crawler/all`;
    const feed = await startKafkaMonitor(prefix);
    const domains = Array.from({ length: 12 }, (_, i) => `d${i}.com`);
    await feed([
      ...domains.map((domain, i) => ({ uuid: `b${i}`, appid, domain, action: 'blacklist-update' })),
      ...domains.map((domain, i) => ({
        uuid: `u${i}`,
        appid,
        domain,
        action: 'domain-update',
        hits: i + 1,
        window: 60,
      })),
    ]);
    await waitFor(
      async () =>
        (await store.exists(`zk:domain-update:d11.com:${appid}`)) &&
        (await store.exists(`zk:blacklist-update:d11.com:${appid}`)),
      30_000,
      'the jobs',
    );
    const replies = await outbound(prefix);
    await Promise.all([startRedisMonitor(prefix), startRedisMonitor(prefix)]);
    await waitFor(() => replies.length >= 24, 60_000, 'every reply');
    expect(replies.filter((r) => r.error !== undefined)).toEqual([]);
    const text = await readNode(path);
    const expected =
      `blacklist:\n${[...domains].map((d) => `- ${d}\n`).join('')}domains:\n` +
      [...domains]
        .sort()
        .map((d) => `  ${d}:\n    hits: ${Number(d.slice(1, -4)) + 1}\n    scale: 1.0\n    window: 60\n`)
        .join('');
    // The blacklist keeps arrival order, which depends on the two monitors: compare it as a set.
    const [blacklist, rest] = text.split('domains:\n') as [string, string];
    expect(blacklist.split('\n').filter(Boolean).sort()).toEqual(
      ['blacklist:', ...domains.map((d) => `- ${d}`)].sort(),
    );
    expect(`domains:\n${rest}`).toBe(expected.slice(expected.indexOf('domains:\n')));
  });
});
