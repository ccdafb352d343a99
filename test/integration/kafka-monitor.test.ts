/**
 * The Kafka Monitor in-process on the real broker and Redis (RedisStore + KafkaBus): what each request
 * type writes, bad input being counted and committed, a custom plugin loaded through PLUGINS, and two
 * monitors sharing one consumer group.
 *
 * Every test has its own topic, group, spiderid and appid, so the files running beside this one never
 * see its records or keys. The stats keys (`stats:kafka-monitor:*`) have fixed names, so the tests that
 * count them use their own Redis database (STATS_DB) and compare counts before and after.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KafkaBus, kafkaBrokerList } from '../../src/core/bus/index.js';
import { resolveSettings } from '../../src/settings.js';
import { connectStore, type Store } from '../../src/core/store/index.js';
import { KafkaMonitor } from '../../src/kafka-monitor/monitor.js';
import { captureLogger, waitFor, type CapturedLog } from '../support/capture-logger.js';
import { servicesEnv } from '../support/services.js';
import { TEST_REDIS_DBS } from '../support/redis-dbs.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURE = './test/fixtures/kafka-monitor-plugins.ts';
const STATS_DB = TEST_REDIS_DBS.kafkaMonitorStats;
const RUN = randomUUID().slice(0, 8);

type Json = Record<string, unknown>;

interface Running {
  monitor: KafkaMonitor;
  lines: CapturedLog[];
  stop(): Promise<void>;
}

let producer: KafkaBus;
const stores = new Map<number, Store>();
const running: Running[] = [];
let seq = 0;

/** Names unique to one test: topic, group, spiderid, appid. */
function names(what: string) {
  const id = `km${RUN}${what}${++seq}`;
  return { id, topic: `${id}.incoming`, group: `${id}-group`, spider: `sp${id}`, appid: `app${id}` };
}

function settingsFor(topic: string, group: string, overrides: Json = {}) {
  const { REDIS_HOST, REDIS_PORT, KAFKA_HOSTS } = servicesEnv();
  return resolveSettings('kafka-monitor', {
    env: {},
    overrides: {
      REDIS_HOST,
      REDIS_PORT,
      KAFKA_HOSTS,
      KAFKA_INCOMING_TOPIC: topic,
      KAFKA_GROUP: group,
      STATS_DUMP: 0,
      STATS_TIMES: ['SECONDS_15_MINUTE'],
      ...overrides,
    },
  });
}

/** A Redis connection to `db` for checking what the monitors wrote. */
async function storeFor(db = 0): Promise<Store> {
  let store = stores.get(db);
  if (!store) {
    const { REDIS_HOST, REDIS_PORT } = servicesEnv();
    store = await connectStore({ REDIS_HOST, REDIS_PORT, REDIS_DB: db }, `km-test-${db}`);
    stores.set(db, store);
  }
  return store;
}

/** Starts a monitor as `kafka-monitor run` would, with its own Redis and Kafka connections. */
async function startMonitor(topic: string, group: string, overrides: Json = {}): Promise<Running> {
  const settings = settingsFor(topic, group, overrides);
  const store = await connectStore(settings, 'kafka-monitor');
  const bus = await KafkaBus.connect({ brokers: kafkaBrokerList(settings.KAFKA_HOSTS), clientId: group });
  const { logger, lines } = captureLogger('kafka-monitor');
  const monitor = await KafkaMonitor.create({ settings, store, bus, logger, pluginDir: REPO_ROOT });
  await monitor.start();
  let stopped = false;
  const entry: Running = {
    monitor,
    lines,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await monitor.close();
      await bus.close();
      await store.close();
    },
  };
  running.push(entry);
  return entry;
}

/** Produces requests (objects as JSON, strings as they are) and waits for the broker's acknowledgement. */
const feed = (topic: string, requests: (Json | string)[]) =>
  producer.send(
    topic,
    requests.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))),
  );

const messagesOf = (lines: CapturedLog[], message: string) => lines.filter((l) => l.message === message);

async function failCount(db: number): Promise<number> {
  return (await storeFor(db)).zcard('stats:kafka-monitor:fail:900');
}

beforeAll(async () => {
  producer = await KafkaBus.connect({
    brokers: kafkaBrokerList(servicesEnv().KAFKA_HOSTS),
    clientId: 'km-test',
  });
});

afterEach(async () => {
  for (const r of running.splice(0)) await r.stop();
});

afterAll(async () => {
  await producer?.close();
  for (const store of stores.values()) await store.close();
});

describe('Kafka Monitor on Kafka and Redis', () => {
  it('writes the keys and values of every request type', async () => {
    const { topic, group, spider, appid, id } = names('types');
    const { lines } = await startMonitor(topic, group);
    const store = await storeFor();
    const bbc = { url: 'http://www.bbc.co.uk/news', appid, crawlid: 'bbc1', spiderid: spider, priority: 5 };
    const requests: Json[] = [
      { ...bbc, expires: 1999999999 },
      { ...bbc, url: 'https://news.bbc.co.uk/sport', crawlid: 'bbc2' },
      { ...bbc, url: 'http://www.bbc.co.uk/weather', crawlid: 'bbc3', priority: 9 },
      { url: 'http://stuff.example.com/x?y=1', appid, crawlid: 'ex1', spiderid: spider },
      { action: 'info', appid, uuid: 'u-info', spiderid: spider },
      { action: 'stop', appid, uuid: 'u-stop', spiderid: spider, crawlid: 'bbc1' },
      { stats: 'kafka-monitor', appid, uuid: 'u-stats' },
      { appid, uuid: 'u-all' },
      {
        uuid: 'u-zk1',
        appid,
        domain: `${id}.dmoz.org`,
        action: 'domain-update',
        hits: 60,
        window: 60,
        scale: 0.5,
      },
      { uuid: 'u-zk2', appid, domain: `${id}.dmoz.org`, action: 'domain-remove' },
      { uuid: 'u-zk3', appid, domain: `${id}.ebay.com`, action: 'blacklist-update' },
      { uuid: 'u-zk4', appid, domain: `${id}.ebay.com`, action: 'blacklist-remove' },
    ];
    const sentAt = Date.now();
    await feed(topic, requests);
    const acked = Date.now();
    await waitFor(
      async () => await store.exists(`zk:blacklist-remove:${id}.ebay.com:${appid}`),
      30_000,
      'the last request in Redis',
    );

    // Crawl requests: one sorted set per spider and registered domain, score floor = -priority.
    const bbcQueue = await store.zrangeWithScores(`${spider}:bbc.co.uk:queue`, 0, -1);
    expect(bbcQueue.map((e) => (JSON.parse(e.member) as Json).crawlid)).toEqual(['bbc3', 'bbc1', 'bbc2']);
    expect(bbcQueue.map((e) => Math.floor(e.score))).toEqual([-9, -5, -5]);
    const defaults = {
      spiderid: spider,
      maxdepth: 0,
      domain_max_pages: null,
      allowed_domains: null,
      allow_regex: null,
      deny_regex: null,
      deny_extensions: null,
      expires: 0,
      useragent: null,
      cookie: null,
      attrs: null,
    };
    const bbc1 = JSON.parse(bbcQueue[1]!.member) as Json;
    expect(bbc1).toEqual({ ...defaults, ...requests[0], ts: bbc1.ts });
    expect(bbcQueue[1]!.member).toBe(JSON.stringify(bbc1));
    for (const entry of bbcQueue) {
      const ts = (JSON.parse(entry.member) as Json).ts as number;
      expect(ts * 1000).toBeGreaterThanOrEqual(sentAt - 1000);
      expect(ts * 1000).toBeLessThanOrEqual(acked + 1000);
    }
    const [example] = await store.zrangeWithScores(`${spider}:example.com:queue`, 0, -1);
    expect(Math.floor(example!.score)).toBe(-1);
    expect(JSON.parse(example!.member)).toEqual({
      ...defaults,
      ...requests[3],
      priority: 1,
      ts: expect.any(Number),
    });
    // A timeout key only for the crawl with a non-zero expires.
    expect(await store.get(`timeout:${spider}:${appid}:bbc1`)).toBe('1999999999');
    for (const crawlid of ['bbc2', 'bbc3', 'ex1'])
      expect(await store.exists(`timeout:${spider}:${appid}:${crawlid}`)).toBe(false);

    // Actions, with and without crawlid; stats (default `all`); ZooKeeper changes as JSON.
    expect(await store.get(`info:${spider}:${appid}`)).toBe('u-info');
    expect(await store.get(`stop:${spider}:${appid}:bbc1`)).toBe('u-stop');
    expect(await store.get(`statsrequest:kafka-monitor:${appid}`)).toBe('u-stats');
    expect(await store.get(`statsrequest:all:${appid}`)).toBe('u-all');
    expect(JSON.parse((await store.get(`zk:domain-update:${id}.dmoz.org:${appid}`))!)).toEqual({
      domain: `${id}.dmoz.org`,
      uuid: 'u-zk1',
      hits: 60,
      scale: 0.5,
      window: 60,
    });
    expect(JSON.parse((await store.get(`zk:domain-remove:${id}.dmoz.org:${appid}`))!)).toEqual({
      domain: `${id}.dmoz.org`,
      uuid: 'u-zk2',
    });
    for (const [action, uuid] of [
      ['blacklist-update', 'u-zk3'],
      ['blacklist-remove', 'u-zk4'],
    ])
      expect(JSON.parse((await store.get(`zk:${action}:${id}.ebay.com:${appid}`))!)).toEqual({
        domain: `${id}.ebay.com`,
        uuid,
      });

    // The log lines of the original, once each request is in Redis.
    await waitFor(() => messagesOf(lines, 'Added zookeeper action to Redis').length === 4, 5000, 'log lines');
    expect(messagesOf(lines, 'Added crawl to Redis')).toHaveLength(4);
    expect(messagesOf(lines, 'Added action to Redis')).toHaveLength(2);
    expect(messagesOf(lines, 'Added stat request to Redis')).toHaveLength(2);
    expect(messagesOf(lines, 'Added crawl to Redis')[0]).toMatchObject({
      crawlid: 'bbc1',
      parsed: true,
      valid: true,
    });
  });

  it('logs, counts and commits bad input, then goes on with the next request', async () => {
    const { topic, group, spider, appid, id } = names('bad');
    const overrides = { REDIS_DB: STATS_DB };
    const store = await storeFor(STATS_DB);
    const failsBefore = await failCount(STATS_DB);
    const first = await startMonitor(topic, group, overrides);
    const crawl = { url: 'http://example.com/', appid, crawlid: 'c1', spiderid: spider };
    const bad: (Json | string)[] = [
      '{"url": "http://example.com/", "appid":',
      'plain text',
      { ...crawl, uuid: 'u1' },
      { ...crawl, client_id: 'x' },
      { ...crawl, appid: 'app:id' },
      { ...crawl, crawlid: 'c:1' },
      { ...crawl, spiderid: 'sp:id' },
      { action: 'info', appid, uuid: 'u2', spiderid: 'a:b' },
      { uuid: 'u3', appid: 'ap:p' },
      { uuid: 'u4', appid, domain: 'example.com:8080', action: 'blacklist-update' },
      { uuid: 'u5', appid, domain: `${id}.com`, action: 'domain-update' },
    ];
    await feed(topic, [...bad, { ...crawl, crawlid: 'good1' }]);
    const queue = `${spider}:example.com:queue`;
    await waitFor(
      async () => (await store.zcard(queue)) === 1,
      30_000,
      'the valid request after the bad ones',
    );
    await waitFor(async () => (await failCount(STATS_DB)) - failsBefore === bad.length, 10_000, 'fail stats');

    expect(messagesOf(first.lines, 'Unparseable JSON Received')).toHaveLength(2);
    expect(messagesOf(first.lines, 'Did not find schema to validate request')).toHaveLength(bad.length - 3);
    expect(messagesOf(first.lines, "'hits' and 'window' not set for domain update")).toHaveLength(1);
    expect(messagesOf(first.lines, 'Unparseable JSON Received')[1]).toMatchObject({
      parsed: false,
      valid: false,
      data: 'plain text',
    });
    // Nothing of the bad requests reached Redis.
    expect(await store.exists(`zk:domain-update:${id}.com:${appid}`)).toBe(false);
    expect(await store.exists(`info:a:b:${appid}`)).toBe(false);
    const members = await store.zrange(queue, 0, -1);
    expect(members.map((m) => (JSON.parse(m) as Json).crawlid)).toEqual(['good1']);

    // Their offsets were committed: a new member of the group starts after them.
    await first.stop();
    const second = await startMonitor(topic, group, overrides);
    await feed(topic, [{ ...crawl, crawlid: 'good2' }]);
    await waitFor(async () => (await store.zcard(queue)) === 2, 30_000, 'the request after the restart');
    await waitFor(() => messagesOf(second.lines, 'Added crawl to Redis').length === 1, 5000, 'its log line');
    expect(messagesOf(second.lines, 'Added crawl to Redis')[0]).toMatchObject({ crawlid: 'good2' });
    expect(messagesOf(second.lines, 'Unparseable JSON Received')).toHaveLength(0);
    expect(messagesOf(second.lines, 'Did not find schema to validate request')).toHaveLength(0);
    expect((await failCount(STATS_DB)) - failsBefore).toBe(bad.length);
  });

  it('loads custom plugins from a module through PLUGINS and drops a default one set to null', async () => {
    const { topic, group, spider, appid, id } = names('plugins');
    const store = await storeFor(STATS_DB);
    const failsBefore = await failCount(STATS_DB);
    const echoBefore = await store.zcard('stats:kafka-monitor:EchoPlugin:900');
    const { monitor, lines } = await startMonitor(topic, group, {
      REDIS_DB: STATS_DB,
      PLUGINS: {
        [`${FIXTURE}#EchoPlugin`]: 500,
        [`${FIXTURE}#AuditPlugin`]: 50,
        StatsHandler: null,
      },
      ECHO_KEY_PREFIX: `echo-${id}`,
      AUDIT_KEY: `audit-${id}`,
    });
    expect(monitor.pluginNames).toEqual([
      'AuditPlugin',
      'ScraperHandler',
      'ActionHandler',
      'ZookeeperHandler',
      'EchoPlugin',
    ]);

    await feed(topic, [
      { uuid: 'e1', my_string: 'hello world' },
      { url: 'http://example.com/', appid, crawlid: 'c1', spiderid: spider },
      { uuid: 's1', appid },
      { uuid: 'e2', my_string: '' },
      { uuid: 'e4', my_string: 'reject' },
      { uuid: 'e3', my_string: 'last' },
    ]);
    await waitFor(async () => await store.exists(`echo-${id}:e3`), 30_000, 'the last echo');
    expect(await store.get(`echo-${id}:e1`)).toBe('hello world');
    expect(await store.exists(`echo-${id}:e2`)).toBe(false);
    // AuditPlugin returns a value, so the crawl request also reached ScraperHandler.
    expect(await store.hgetall(`audit-${id}`)).toEqual({ [appid]: '1' });
    expect(await store.zcard(`${spider}:example.com:queue`)).toBe(1);
    // Without StatsHandler a stats request matches nothing: counted as a failure, nothing written.
    expect(await store.exists(`statsrequest:all:${appid}`)).toBe(false);
    // The refused echo is logged and counted as a failure, not retried.
    expect(await store.exists(`echo-${id}:e4`)).toBe(false);
    expect(messagesOf(lines, 'EchoPlugin refuses to echo "reject"')).toMatchObject([
      { level: 'ERROR', plugin: 'EchoPlugin', parsed: true, valid: false },
    ]);
    await waitFor(async () => (await failCount(STATS_DB)) - failsBefore === 3, 10_000, 'fail stats');
    await waitFor(
      async () => (await store.zcard('stats:kafka-monitor:EchoPlugin:900')) - echoBefore === 3,
      10_000,
      'EchoPlugin stats',
    );
    expect(messagesOf(lines, 'Added echo to Redis').map((l) => l.uuid)).toEqual(['e1', 'e3']);
  });

  it('shares a 2-partition topic between two monitors of one group: every request written once', async () => {
    const { topic, group, spider, appid } = names('group');
    await producer.createTopics([topic], 2);
    const store = await storeFor();
    const a = await startMonitor(topic, group);
    const b = await startMonitor(topic, group);
    const domains = ['alpha.com', 'beta.org', 'gamma.co.uk', 'delta.net'];
    const total = 400;
    const request = (i: number) => ({
      url: `http://www.${domains[i % domains.length]}/page/${i}`,
      appid,
      crawlid: `c${i}`,
      spiderid: spider,
      priority: 1 + (i % 10),
    });
    const queued = async () => {
      let n = 0;
      for (const d of domains) n += await store.zcard(`${spider}:${d}:queue`);
      return n;
    };
    // In waves, keyed so the producer spreads them over both partitions.
    for (let wave = 0; wave < 4; wave++) {
      const ids = Array.from({ length: total / 4 }, (_, i) => wave * (total / 4) + i);
      await producer.send(
        topic,
        ids.map((i) => ({ key: `c${i}`, value: JSON.stringify(request(i)) })),
      );
      await waitFor(async () => (await queued()) === (wave + 1) * (total / 4), 30_000, `wave ${wave + 1}`);
    }

    const crawlids: string[] = [];
    for (const d of domains)
      for (const m of await store.zrange(`${spider}:${d}:queue`, 0, -1))
        crawlids.push((JSON.parse(m) as Json).crawlid as string);
    expect(crawlids).toHaveLength(total);
    expect(new Set(crawlids).size).toBe(total);

    const handled = (r: Running) =>
      new Set(messagesOf(r.lines, 'Added crawl to Redis').map((l) => l.crawlid));
    await waitFor(() => new Set([...handled(a), ...handled(b)]).size === total, 5000, 'the log lines');
    expect(handled(a).size).toBeGreaterThan(0);
    expect(handled(b).size).toBeGreaterThan(0);
  });
});
