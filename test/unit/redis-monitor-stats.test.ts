import { describe, expect, it } from 'vitest';
import { MemoryBus, type Outgoing } from '../../src/core/bus/index.js';
import { resolveSettings } from '../../src/settings.js';
import { MemoryStore } from '../../src/core/store/index.js';
import { ClusterStats, RedisMonitor, StatsMonitor } from '../../src/redis-monitor/index.js';
import { crawlerDump, queueDump } from '../../src/redis-monitor/stats/dumps.js';
import { captureLogger } from '../support/capture-logger.js';

const NOW = Math.floor(Date.now() / 1000);

/** A rolling window key holding `n` hits within its window, plus one long expired hit. */
async function windowKey(store: MemoryStore, key: string, n: number): Promise<void> {
  await store.zadd(key, [
    ...Array.from({ length: n }, (_, i) => ({ member: `${NOW - i}.5:${i}`, score: NOW - i })),
    { member: 'ancient', score: 1 },
  ]);
}

async function lifetimeKey(store: MemoryStore, key: string, n: number): Promise<void> {
  await store.pfadd(key, ...Array.from({ length: n }, (_, i) => `hit${i}`));
}

/** The original's 10-key fixture (every value 5): two spiders on three hosts. */
async function crawlerFixture(store: MemoryStore): Promise<void> {
  await lifetimeKey(store, 'stats:crawler:host1:link:200:lifetime', 5);
  await windowKey(store, 'stats:crawler:host1:link:200:86400', 5);
  await windowKey(store, 'stats:crawler:host1:link:200:3600', 5);
  await windowKey(store, 'stats:crawler:host2:link:504:86400', 5);
  await store.set('stats:crawler:host1:link:1a2b3c4d5e6f', String(NOW));
  await store.set('stats:crawler:host2:link:2a2b3c4d5e6f', String(NOW));
  await store.set('stats:crawler:host3:link:3a2b3c4d5e6f', String(NOW));
  await windowKey(store, 'stats:crawler:host1:other:200:3600', 5);
  await lifetimeKey(store, 'stats:crawler:host3:other:403:lifetime', 5);
  await store.set('stats:crawler:host3:other:4a2b3c4d5e6f', String(NOW));
}

async function queueFixture(store: MemoryStore): Promise<void> {
  const fill = (key: string, n: number) =>
    store.zadd(
      key,
      Array.from({ length: n }, (_, i) => ({ member: `{"url":"${key}/${i}"}`, score: -i })),
    );
  await fill('link:istresearch.com:queue', 10);
  await fill('link:dmoztools.net:queue', 10);
  await fill('link:wikipedia.org:queue', 6);
  await fill('wandering:cnn.com:queue', 2);
  await fill('wandering:bbc.co.uk:queue', 2);
}

const SPIDERS = {
  unique_spider_count: 2,
  total_spider_count: 4,
  other: { count: 1, '200': { '3600': 5 }, '403': { lifetime: 5 } },
  link: { count: 3, '200': { lifetime: 5, '86400': 5, '3600': 5 }, '504': { '86400': 5 } },
};

const MACHINES = {
  count: 3,
  host1: { '200': { lifetime: 5, '86400': 5, '3600': 10 } },
  host2: { '504': { '86400': 5 } },
  host3: { '403': { lifetime: 5 } },
};

const QUEUES = {
  queue_link: {
    spider_backlog: 26,
    num_domains: 3,
    domains: [
      { domain: 'dmoztools.net', backlog: 10 },
      { domain: 'istresearch.com', backlog: 10 },
      { domain: 'wikipedia.org', backlog: 6 },
    ],
  },
  queue_wandering: {
    spider_backlog: 4,
    num_domains: 2,
    domains: [
      { domain: 'bbc.co.uk', backlog: 2 },
      { domain: 'cnn.com', backlog: 2 },
    ],
  },
  total_backlog: 30,
};

describe('ClusterStats', () => {
  const stats = (store: MemoryStore) => new ClusterStats(store, undefined, () => NOW + 0.25);

  it('builds the spider stats of the original 10-key oracle', async () => {
    const store = new MemoryStore();
    await crawlerFixture(store);
    expect(await stats(store).spiderStats()).toEqual({ spiders: SPIDERS });
  });

  it('sums machine stats across spiders (host1 200/3600 = 10)', async () => {
    const store = new MemoryStore();
    await crawlerFixture(store);
    expect(await stats(store).machineStats()).toEqual({ machines: MACHINES });
  });

  it('builds the queue stats: backlog per spider and domain', async () => {
    const store = new MemoryStore();
    await queueFixture(store);
    expect(await stats(store).queueStats()).toEqual({ queues: QUEUES });
  });

  it('builds component stats with totals, failures, plugins and nodes; absent sections left out', async () => {
    const store = new MemoryStore();
    await windowKey(store, 'stats:kafka-monitor:total:900', 3);
    await lifetimeKey(store, 'stats:kafka-monitor:total:lifetime', 7);
    await lifetimeKey(store, 'stats:kafka-monitor:fail:lifetime', 2);
    await windowKey(store, 'stats:kafka-monitor:ScraperHandler:3600', 2);
    await lifetimeKey(store, 'stats:kafka-monitor:ScraperHandler:lifetime', 4);
    await store.set('stats:kafka-monitor:self:host-a:e2be29329410', String(NOW));
    await store.set('stats:kafka-monitor:self:host-a:60295fece216', String(NOW));
    await store.set('stats:kafka-monitor:self:host-b:918145625a1e', String(NOW));
    expect(await stats(store).componentStats('kafka-monitor')).toEqual({
      total: { '900': 3, lifetime: 7 },
      fail: { lifetime: 2 },
      plugins: { ScraperHandler: { '3600': 2, lifetime: 4 } },
      nodes: { 'host-a': ['60295fece216', 'e2be29329410'], 'host-b': ['918145625a1e'] },
    });
    expect(await stats(store).componentStats('rest')).toEqual({});
  });

  it('puts the queues under `queue` in the crawler stats, as the original code does', async () => {
    const store = new MemoryStore();
    await crawlerFixture(store);
    await queueFixture(store);
    expect(await stats(store).crawlerStats()).toEqual({
      spiders: SPIDERS,
      machines: MACHINES,
      queue: QUEUES,
    });
    const all = await stats(store).allStats();
    expect(Object.keys(all).sort()).toEqual(['crawler', 'kafka-monitor', 'redis-monitor', 'rest']);
    expect(all.crawler).toEqual({ spiders: SPIDERS, machines: MACHINES, queue: QUEUES });
  });

  it('flattens crawler and queue stats for the periodic dumps', async () => {
    const store = new MemoryStore();
    await crawlerFixture(store);
    await queueFixture(store);
    expect(await crawlerDump(stats(store))).toEqual({
      link_spider_count: 3,
      link_200_lifetime: 5,
      link_200_86400: 5,
      link_200_3600: 5,
      link_504_86400: 5,
      other_spider_count: 1,
      other_200_3600: 5,
      other_403_lifetime: 5,
      unique_spider_count: 2,
      total_spider_count: 4,
    });
    expect(await queueDump(stats(store))).toEqual({
      queue_link: { spider_backlog: 26, num_domains: 3 },
      queue_wandering: { spider_backlog: 4, num_domains: 2 },
      total_backlog: 30,
    });
  });
});

describe('StatsMonitor', () => {
  class RecordingBus extends MemoryBus {
    readonly sent: Record<string, unknown>[] = [];
    override async send(topic: string, messages: Outgoing[]): Promise<void> {
      for (const m of messages)
        this.sent.push(JSON.parse(typeof m === 'string' ? m : m.value) as Record<string, unknown>);
    }
  }

  async function monitorWith(store: MemoryStore) {
    const settings = resolveSettings('redis-monitor', {
      env: {},
      overrides: { STATS_DUMP: 0, PLUGINS: { ZookeeperMonitor: null } },
    });
    const bus = new RecordingBus();
    const { logger, lines } = captureLogger('redis-monitor');
    const plugin = new StatsMonitor();
    plugin.clock = () => 1452104037.5;
    const monitor = await RedisMonitor.create({
      settings,
      store,
      bus,
      logger,
      builtIns: { StatsMonitor: plugin },
    });
    return { monitor, bus, lines };
  }

  it('answers every stats type with the type, appid, uuid and server_time added', async () => {
    const store = new MemoryStore();
    await crawlerFixture(store);
    await queueFixture(store);
    const { monitor, bus } = await monitorWith(store);
    const types = ['kafka-monitor', 'redis-monitor', 'crawler', 'spider', 'machine', 'queue', 'rest', 'all'];
    for (const type of types) await store.set(`statsrequest:${type}:testapp`, `u-${type}`);
    await monitor.runOnce();
    await monitor.close();
    expect(bus.sent.map((r) => r.stats).sort()).toEqual([...types].sort());
    for (const reply of bus.sent) {
      expect(reply).toMatchObject({
        appid: 'testapp',
        uuid: `u-${String(reply.stats)}`,
        server_time: 1452104037,
      });
    }
    expect(bus.sent.find((r) => r.stats === 'machine')).toEqual({
      machines: MACHINES,
      stats: 'machine',
      appid: 'testapp',
      uuid: 'u-machine',
      server_time: 1452104037,
    });
    expect(bus.sent.find((r) => r.stats === 'crawler')).toMatchObject({ queue: QUEUES });
  });

  it('warns about an unknown stats type and sends nothing', async () => {
    const store = new MemoryStore();
    const { monitor, bus, lines } = await monitorWith(store);
    await store.set('statsrequest:bogus:testapp', 'u1');
    await monitor.runOnce();
    await monitor.close();
    expect(bus.sent).toEqual([]);
    expect(lines.some((l) => l.message === 'Received invalid stats request: bogus')).toBe(true);
    expect(await store.exists('statsrequest:bogus:testapp')).toBe(false);
  });
});
