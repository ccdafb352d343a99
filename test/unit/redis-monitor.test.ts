import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBroker, MemoryBus, type Outgoing } from '../../src/core/bus/index.js';
import { resolveSettings } from '../../src/settings.js';
import { MemoryEngine, MemoryStore } from '../../src/core/store/index.js';
import {
  BUILT_IN_PLUGINS,
  ExpireMonitor,
  LazyBus,
  InfoMonitor,
  MemoryConfigNode,
  RedisMonitor,
  StopMonitor,
  ZookeeperMonitor,
  type RedisMonitorPlugin,
  type RedisMonitorPluginExport,
} from '../../src/redis-monitor/index.js';
import { captureLogger } from '../support/capture-logger.js';
import { feedMember, requestMember } from '../contract/redis-monitor.contract.js';

const NOW = 1452094322.75;
const FIREHOSE = 'demo.outbound_firehose';

/** A memory bus that records every send, and can be told to fail. */
class RecordingBus extends MemoryBus {
  readonly sent: { topic: string; value: Record<string, unknown> }[] = [];
  failing = false;

  override async send(topic: string, messages: Outgoing[]): Promise<void> {
    if (this.failing) throw new Error('broker unreachable');
    for (const m of messages)
      this.sent.push({ topic, value: JSON.parse(typeof m === 'string' ? m : m.value) });
    await super.send(topic, messages);
  }

  replies(topic = FIREHOSE): Record<string, unknown>[] {
    return this.sent.filter((s) => s.topic === topic).map((s) => s.value);
  }
}

interface Ctx {
  monitor: RedisMonitor;
  store: MemoryStore;
  bus: RecordingBus;
  lines: ReturnType<typeof captureLogger>['lines'];
  node: MemoryConfigNode;
}

const monitors: RedisMonitor[] = [];
afterEach(async () => {
  await Promise.all(monitors.splice(0).map((m) => m.close()));
});

/** Built-in plugin instances on a fixed clock, so replies can be compared whole. */
function fixedClockPlugins(node: MemoryConfigNode): Record<string, RedisMonitorPluginExport> {
  const withClock = <T extends { clock: () => number }>(p: T): T => {
    p.clock = () => NOW;
    return p;
  };
  return {
    ...BUILT_IN_PLUGINS,
    InfoMonitor: withClock(new InfoMonitor()),
    StopMonitor: withClock(new StopMonitor()),
    ExpireMonitor: withClock(new ExpireMonitor()),
    ZookeeperMonitor: withClock(new ZookeeperMonitor({ node })),
  };
}

async function setup(
  options: {
    overrides?: Record<string, unknown>;
    engine?: MemoryEngine;
    broker?: MemoryBroker;
    node?: MemoryConfigNode;
    builtIns?: Record<string, RedisMonitorPluginExport>;
    plugins?: Record<string, number | null>;
  } = {},
): Promise<Ctx> {
  const settings = resolveSettings('redis-monitor', {
    env: {},
    overrides: { STATS_DUMP: 0, ...options.overrides },
  });
  // Module-path keys are set after resolving, so they reach the monitor exactly as written.
  if (options.plugins)
    settings.PLUGINS = { ...settings.PLUGINS, ...options.plugins } as Record<string, number>;
  const store = new MemoryStore(options.engine ?? new MemoryEngine());
  const bus = new RecordingBus(options.broker ?? new MemoryBroker());
  const { logger, lines } = captureLogger('redis-monitor');
  const node = options.node ?? new MemoryConfigNode();
  const monitor = await RedisMonitor.create({
    settings,
    store,
    bus,
    logger,
    builtIns: { ...fixedClockPlugins(node), ...options.builtIns },
    pluginDir: process.cwd(),
  });
  monitors.push(monitor);
  return { monitor, store, bus, lines, node };
}

const messages = (lines: Ctx['lines'], message: string) => lines.filter((l) => l.message === message);

async function queue(store: MemoryStore, key: string, members: string[]): Promise<void> {
  await store.zadd(
    key,
    members.map((member, i) => ({ member, score: -i })),
  );
}

describe('RedisMonitor: plugins', () => {
  it('loads the five built-in plugins in rank order, and drops one set to null', async () => {
    expect((await setup()).monitor.pluginNames).toEqual([
      'InfoMonitor',
      'StopMonitor',
      'ExpireMonitor',
      'StatsMonitor',
      'ZookeeperMonitor',
    ]);
    const { monitor } = await setup({ overrides: { PLUGINS: { StatsMonitor: null } } });
    expect(monitor.pluginNames).toEqual(['InfoMonitor', 'StopMonitor', 'ExpireMonitor', 'ZookeeperMonitor']);
  });

  it('refuses a plugin without a pattern or a handler', async () => {
    await expect(
      setup({ builtIns: { Broken: { name: 'Broken' } as RedisMonitorPlugin }, plugins: { Broken: 1 } }),
    ).rejects.toThrow(/needs a name, a pattern and a handle/);
  });

  it('runs a custom plugin from a module path, as the original online test does', async () => {
    const { monitor, store, bus } = await setup({
      plugins: { './test/fixtures/redis-monitor-plugins.ts#InfoTestMonitor': 600 },
    });
    expect(monitor.pluginNames.at(-1)).toBe('InfoTestMonitor');
    await store.set('info-test:blah', 'ABC1234');
    await monitor.runOnce();
    expect(await store.exists('info-test:blah')).toBe(false);
    expect(bus.replies()).toEqual([{ 'info-test': 'ABC1234', appid: 'someapp' }]);
    expect(await store.pfcount('stats:redis-monitor:InfoTestMonitor:lifetime')).toBe(1);
    expect(await store.zcard('stats:redis-monitor:total:900')).toBe(1);
  });
});

describe('RedisMonitor: info', () => {
  it('answers a crawlid-level request with the original shape, expires as a string', async () => {
    // Without ExpireMonitor, so the long-past timeout (the original test's 10) stays for the reply.
    const { monitor, store, bus } = await setup({ overrides: { PLUGINS: { ExpireMonitor: null } } });
    await queue(store, 'link:a.com:queue', [
      feedMember('testapp', 'ABC123', 'http://a.com/1', 50),
      feedMember('testapp', 'ABC123', 'http://a.com/2', 40),
      feedMember('testapp', 'other', 'http://a.com/3', 99),
    ]);
    await queue(store, 'link:b.com:queue', [requestMember('testapp', 'ABC123', 'http://b.com/1', 30)]);
    await store.set('timeout:link:testapp:ABC123', '10');
    // Crawler heartbeats: two serve link, one serves another spider type.
    await store.set('stats:crawler:host1:link:a1b2c3', '1');
    await store.set('stats:crawler:host2:link:d4e5f6', '1');
    await store.set('stats:crawler:host1:wandering:0a0b0c', '1');
    await store.set('info:link:testapp:ABC123', 'abc12333');
    await monitor.runOnce();
    expect(bus.replies()).toEqual([
      {
        uuid: 'abc12333',
        total_pending: 3,
        server_time: 1452094322,
        spiderid: 'link',
        appid: 'testapp',
        crawlid: 'ABC123',
        total_domains: 2,
        domains: {
          'a.com': { total: 2, high_priority: 50, low_priority: 40 },
          'b.com': { total: 1, high_priority: 30, low_priority: 30 },
        },
        expires: '10',
        live_crawlers: 2,
      },
    ]);
    expect(await store.exists('info:link:testapp:ABC123')).toBe(false);
  });

  it('adds the domains held after Retry-After and the Crawl-delays in force, only when there are any', async () => {
    const { monitor, store, bus } = await setup();
    await queue(store, 'link:a.com:queue', [feedMember('testapp', 'ABC123', 'http://a.com/1', 50)]);
    const now = Date.now() / 1000;
    await store.hset('link:holds', { 'a.com': (now + 30).toFixed(6), 'gone.com': (now - 5).toFixed(6) });
    await store.hset('link:crawl_delays', { 'b.com': '2' });
    await store.set('info:link:testapp:ABC123', 'u-polite');
    await monitor.runOnce();
    const [reply] = bus.replies();
    expect(reply!.held_domains).toEqual({ 'a.com': 30 });
    expect(reply!.crawl_delays).toEqual({ 'b.com': 2 });
  });

  it('answers an appid-level request with every crawl, expires from the requests as numbers', async () => {
    const { monitor, store, bus } = await setup();
    await queue(store, 'link:a.com:queue', [
      feedMember('testapp', 'ist234', 'http://a.com/1', -9, 1452094703),
      feedMember('testapp', 'ABC123', 'http://a.com/2', -19),
      feedMember('otherapp', 'ABC123', 'http://a.com/3', 5),
    ]);
    await queue(store, 'link:c.com:queue', [
      requestMember('testapp', 'ABC123', 'http://c.com/1', -29),
      requestMember('testapp', 'ABC123', 'http://c.com/2', -19),
    ]);
    await store.set('info:link:testapp', 'abc12333');
    await monitor.runOnce();
    expect(bus.replies()).toEqual([
      {
        uuid: 'abc12333',
        total_pending: 4,
        server_time: 1452094322,
        spiderid: 'link',
        appid: 'testapp',
        total_crawlids: 2,
        total_domains: 2,
        crawlids: {
          ABC123: {
            total: 3,
            distinct_domains: 2,
            domains: {
              'a.com': { total: 1, high_priority: -19, low_priority: -19 },
              'c.com': { total: 2, high_priority: -19, low_priority: -29 },
            },
          },
          ist234: {
            total: 1,
            distinct_domains: 1,
            expires: 1452094703,
            domains: { 'a.com': { total: 1, high_priority: -9, low_priority: -9 } },
          },
        },
        // No crawler heartbeat for spider type link: nothing will crawl the pending requests.
        live_crawlers: 0,
      },
    ]);
  });

  it('adds the crawlers per-crawl accounting and whether the crawl is finished', async () => {
    const { monitor, store, bus } = await setup();
    await queue(store, 'link:a.com:queue', [feedMember('app', 'running', 'http://a.com/1', 1)]);
    await store.hset('crawlstats:link:app:running', { published: 10, failed: 1, in_flight: 2 });
    await store.hset('crawlstats:link:app:done', { published: 7 });
    await store.set('info:link:app:running', 'u1');
    await store.set('info:link:app:done', 'u2');
    await store.set('info:link:app', 'u3');
    await monitor.runOnce();
    const [running, done, app] = bus.replies();
    expect(running).toMatchObject({
      uuid: 'u1',
      total_pending: 1,
      crawl_stats: { published: 10, failed: 1, in_flight: 2 },
      finished: false,
    });
    expect(done).toMatchObject({
      uuid: 'u2',
      total_pending: 0,
      total_domains: 0,
      domains: {},
      crawl_stats: { published: 7, failed: 0, in_flight: 0 },
      finished: true,
    });
    expect((app!.crawlids as Record<string, unknown>).running).toMatchObject({
      total: 1,
      crawl_stats: { published: 10, failed: 1, in_flight: 2 },
      finished: false,
    });
  });

  it('sends to the appid topic first when KAFKA_APPID_TOPICS is on', async () => {
    const { monitor, store, bus } = await setup({ overrides: { KAFKA_APPID_TOPICS: true } });
    await store.set('info:link:myapp', 'u1');
    await monitor.runOnce();
    expect(bus.sent.map((s) => s.topic)).toEqual(['demo.outbound_myapp', FIREHOSE]);
  });
});

describe('RedisMonitor: stop and expire', () => {
  async function crawlSetup(ctx: Ctx): Promise<void> {
    await queue(ctx.store, 'link:a.com:queue', [
      feedMember('testapp', 'ABC123', 'http://a.com/1', 5),
      requestMember('testapp', 'ABC123', 'http://a.com/2', 5),
      feedMember('testapp', 'keep', 'http://a.com/3', 5),
    ]);
    await ctx.store.hset('link:leased', {
      lease1: JSON.stringify({
        queue: 'link:a.com:queue',
        score: -5,
        item: feedMember('testapp', 'ABC123', 'http://a.com/4', 5),
        owner: 'c1',
        expires: 10,
      }),
    });
    await ctx.store.zadd('link:leases', [{ member: 'lease1', score: 10 }]);
  }

  it('blacklists, purges queued and leased requests, replies and deletes the timeout key', async () => {
    const ctx = await setup();
    await crawlSetup(ctx);
    await ctx.store.set('timeout:link:testapp:ABC123', '1999999999');
    await ctx.store.set('stop:link:testapp:ABC123', '1ist234');
    await ctx.monitor.runOnce();
    expect(ctx.bus.replies()).toEqual([
      {
        action: 'stop',
        spiderid: 'link',
        appid: 'testapp',
        crawlid: 'ABC123',
        total_purged: 3,
        uuid: '1ist234',
        server_time: 1452094322,
      },
    ]);
    expect(await ctx.store.smembers('link:blacklist')).toEqual(['testapp||ABC123']);
    expect(await ctx.store.zrange('link:a.com:queue', 0, -1)).toEqual([
      feedMember('testapp', 'keep', 'http://a.com/3', 5),
    ]);
    expect(await ctx.store.hgetall('link:leased')).toEqual({});
    expect(await ctx.store.zcard('link:leases')).toBe(0);
    expect(await ctx.store.exists('timeout:link:testapp:ABC123')).toBe(false);
    expect(await ctx.store.exists('stop:link:testapp:ABC123')).toBe(false);
    expect(messages(ctx.lines, 'Sent stop ack to kafka')).toHaveLength(1);
  });

  it('refuses a stop without crawlid with a warning and no reply', async () => {
    const ctx = await setup();
    await ctx.store.set('stop:link:testapp', 'u1');
    await ctx.monitor.runOnce();
    expect(ctx.bus.sent).toEqual([]);
    expect(messages(ctx.lines, 'Stop requests need a crawlid and appid')).toHaveLength(1);
    expect(await ctx.store.exists('stop:link:testapp')).toBe(false);
  });

  it('expires a crawl only once its time has passed, with an expired notification without uuid', async () => {
    const ctx = await setup();
    await crawlSetup(ctx);
    await ctx.store.set('timeout:link:testapp:ABC123', String(NOW + 1));
    await ctx.monitor.runOnce();
    expect(ctx.bus.sent).toEqual([]);
    expect(await ctx.store.exists('timeout:link:testapp:ABC123')).toBe(true);

    await ctx.store.set('timeout:link:testapp:ABC123', String(Math.floor(NOW - 1)));
    await ctx.monitor.runOnce();
    expect(ctx.bus.replies()).toEqual([
      {
        server_time: 1452094322,
        crawlid: 'ABC123',
        spiderid: 'link',
        appid: 'testapp',
        total_expired: 3,
        action: 'expired',
      },
    ]);
    expect(await ctx.store.exists('timeout:link:testapp:ABC123')).toBe(false);
    expect(await ctx.store.smembers('link:blacklist')).toEqual(['testapp||ABC123']);
    expect(await ctx.store.zcard('link:a.com:queue')).toBe(1);
  });

  it('checks the expire precondition like the original (5 vs 6 waits, 5 vs 4 expires)', () => {
    const expire = new ExpireMonitor();
    expire.clock = () => 5;
    expect(expire.checkPrecondition('timeout:link:a:c', '6')).toBe(false);
    expect(expire.checkPrecondition('timeout:link:a:c', '4')).toBe(true);
    expect(() => expire.checkPrecondition('timeout:link:a:c', 'soon')).toThrow(/Invalid timeout value/);
  });

  it('drops an unreadable timeout value at once instead of retrying it', async () => {
    const ctx = await setup();
    await ctx.store.set('timeout:link:a:c', 'soon');
    await ctx.monitor.runOnce();
    expect(await ctx.store.exists('timeout:link:a:c')).toBe(false);
    expect(messages(ctx.lines, 'Could not process action within failure limit')).toHaveLength(1);
  });

  it('keeps a stop whose reply Kafka refused, and reports the whole purge when Kafka is back', async () => {
    const ctx = await setup();
    await crawlSetup(ctx);
    await ctx.store.set('stop:link:testapp:ABC123', 'u1');
    ctx.bus.failing = true;
    await expect(ctx.monitor.runOnce()).rejects.toThrow(/Cannot send to Kafka/);
    expect(await ctx.store.get('stop:link:testapp:ABC123')).toBe('u1');
    expect(await ctx.store.exists('lock:stop:link:testapp:ABC123:failures')).toBe(false);
    expect(await ctx.store.zcard('link:a.com:queue')).toBe(1);

    ctx.bus.failing = false;
    await ctx.monitor.runOnce();
    expect(ctx.bus.replies()).toMatchObject([{ action: 'stop', total_purged: 3, uuid: 'u1' }]);
    expect(await ctx.store.exists('stop:link:testapp:ABC123')).toBe(false);
  });
});

describe('RedisMonitor: the loop', () => {
  function throwing(calls: string[], pattern = 'boom:*'): RedisMonitorPlugin {
    return {
      name: 'Boom',
      pattern,
      handle: (key: string) => {
        calls.push(key);
        throw new Error('kaboom');
      },
    };
  }

  it('retries a failing job RETRY_FAILURES_MAX times, then drops it with an error', async () => {
    const calls: string[] = [];
    const ctx = await setup({ builtIns: { Boom: throwing(calls) }, overrides: { PLUGINS: { Boom: 1 } } });
    await ctx.store.set('boom:1', 'x');
    const counts: (string | null)[] = [];
    for (let i = 0; i < 3; i++) {
      await ctx.monitor.runOnce();
      counts.push(await ctx.store.get('lock:boom:1:failures'));
    }
    expect(counts).toEqual(['1', '2', '3']);
    expect(await ctx.store.exists('boom:1')).toBe(true);
    await ctx.monitor.runOnce();
    expect(calls).toHaveLength(4);
    expect(await ctx.store.exists('boom:1')).toBe(false);
    expect(await ctx.store.exists('lock:boom:1:failures')).toBe(false);
    expect(messages(ctx.lines, 'Error processing key')).toHaveLength(4);
    expect(messages(ctx.lines, 'Could not process action within failure limit')).toHaveLength(1);
    expect(await ctx.store.zcard('stats:redis-monitor:fail:900')).toBe(4);
    await ctx.monitor.runOnce();
    expect(calls).toHaveLength(4);
  });

  it('drops a failing job at once when RETRY_FAILURES is off', async () => {
    const calls: string[] = [];
    const ctx = await setup({
      builtIns: { Boom: throwing(calls) },
      overrides: { PLUGINS: { Boom: 1 }, RETRY_FAILURES: false },
    });
    await ctx.store.set('boom:1', 'x');
    await ctx.monitor.runOnce();
    await ctx.monitor.runOnce();
    expect(calls).toHaveLength(1);
    expect(await ctx.store.exists('boom:1')).toBe(false);
  });

  it('does not call the handler while the precondition is false, nor delete the key', async () => {
    let due = false;
    const handled: string[] = [];
    const plugin: RedisMonitorPlugin = {
      name: 'Later',
      pattern: 'later:*',
      checkPrecondition: () => due,
      handle: (key: string) => void handled.push(key),
    };
    const ctx = await setup({ builtIns: { Later: plugin }, overrides: { PLUGINS: { Later: 1 } } });
    await ctx.store.set('later:1', 'v');
    await ctx.monitor.runOnce();
    expect(handled).toEqual([]);
    expect(await ctx.store.exists('later:1')).toBe(true);
    due = true;
    await ctx.monitor.runOnce();
    expect(handled).toEqual(['later:1']);
    expect(await ctx.store.exists('later:1')).toBe(false);
  });

  it('skips a job whose lock another monitor holds, and a job that vanished meanwhile', async () => {
    const handled: string[] = [];
    const plugin: RedisMonitorPlugin = {
      name: 'P',
      pattern: 'job:*',
      handle: (k: string) => void handled.push(k),
    };
    const ctx = await setup({ builtIns: { P: plugin }, overrides: { PLUGINS: { P: 1 } } });
    await ctx.store.set('job:1', 'v');
    await ctx.store.set('lock:job:1', 'python-monitor', { ex: 6 });
    expect(await ctx.monitor.processKey(plugin, 'job:1')).toBe('locked');
    await ctx.store.del('lock:job:1', 'job:1');
    expect(await ctx.monitor.processKey(plugin, 'job:1')).toBe('gone');
    expect(handled).toEqual([]);
  });

  it('keeps a request that replaced the job while it was handled', async () => {
    const ctx0 = { store: undefined as MemoryStore | undefined };
    const plugin: RedisMonitorPlugin = {
      name: 'P',
      pattern: 'job:*',
      handle: async (key: string) => {
        await ctx0.store!.set(key, 'newer');
      },
    };
    const ctx = await setup({ builtIns: { P: plugin }, overrides: { PLUGINS: { P: 1 } } });
    ctx0.store = ctx.store;
    await ctx.store.set('job:1', 'older');
    expect(await ctx.monitor.processKey(plugin, 'job:1')).toBe('done');
    expect(await ctx.store.get('job:1')).toBe('newer');
  });

  it('ignores keys of another type that match a pattern', async () => {
    const ctx = await setup();
    await ctx.store.hset('info:link:weird', { a: '1' });
    await ctx.monitor.runOnce();
    expect(ctx.bus.sent).toEqual([]);
    expect(await ctx.store.exists('info:link:weird')).toBe(true);
  });

  it('answers every job exactly once with two monitors on one Redis', async () => {
    const engine = new MemoryEngine();
    const broker = new MemoryBroker();
    const a = await setup({ engine, broker });
    const b = await setup({ engine, broker });
    await queue(a.store, 'link:a.com:queue', [feedMember('app', 'c', 'http://a.com/', 1)]);
    for (let i = 0; i < 60; i++) await a.store.set(`info:link:app${i}:c`, `uuid-${i}`);
    for (let i = 0; i < 20; i++) await a.store.set(`stop:link:app${i}:c`, `stop-${i}`);
    await Promise.all([a.monitor.runOnce(), b.monitor.runOnce(), a.monitor.runOnce(), b.monitor.runOnce()]);
    const uuids = [...a.bus.replies(), ...b.bus.replies()].map((r) => String(r.uuid)).sort();
    const expected = [
      ...Array.from({ length: 60 }, (_, i) => `uuid-${i}`),
      ...Array.from({ length: 20 }, (_, i) => `stop-${i}`),
    ].sort();
    expect(uuids).toEqual(expected);
    expect(a.bus.replies().length).toBeGreaterThan(0);
    expect(b.bus.replies().length).toBeGreaterThan(0);
  });

  it('writes its heartbeat and dumps its stats', async () => {
    const ctx = await setup({ overrides: { STATS_DUMP: 1 } });
    ctx.monitor.start();
    const key = ctx.monitor.heartbeatKey;
    expect(key).toMatch(/^stats:redis-monitor:self:[^:]+:[0-9a-f]{12}$/);
    await ctx.monitor.dumpStats();
    for (const m of ['Redis Monitor Stats Dump', 'Crawler Stats Dump', 'Queue Stats Dump'])
      expect(messages(ctx.lines, m)).toHaveLength(1);
    expect(await ctx.store.ttl(key)).toBeGreaterThan(100);
    await ctx.monitor.close();
    expect(await ctx.store.exists(key)).toBe(false);
  });

  it('survives a store that fails and goes on once it works again', async () => {
    const ctx = await setup({ overrides: { SLEEP_TIME: 0.01 } });
    const realScan = ctx.store.scan.bind(ctx.store);
    let broken = true;
    ctx.store.scan = (match: string, count?: number) => {
      if (broken) throw new Error('connection lost');
      return realScan(match, count);
    };
    ctx.monitor.start();
    await new Promise((r) => setTimeout(r, 50));
    expect(messages(ctx.lines, 'Redis Monitor pass failed, retrying in 0.5 s').length).toBeGreaterThan(0);
    broken = false;
    await ctx.store.set('info:link:app', 'u1');
    for (let i = 0; i < 100 && ctx.bus.sent.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(ctx.bus.replies()).toMatchObject([{ uuid: 'u1' }]);
  });
});

describe('LazyBus', () => {
  it('connects on first use, and again after a failed connect', async () => {
    const real = new RecordingBus();
    let attempts = 0;
    const bus = new LazyBus(async () => {
      attempts++;
      if (attempts === 1) throw new Error('no broker yet');
      return real;
    });
    expect(attempts).toBe(0);
    await expect(bus.send('t', ['"a"'])).rejects.toThrow(/no broker yet/);
    await bus.send('t', ['"b"']);
    await bus.send('t', ['"c"']);
    expect(attempts).toBe(2);
    expect(real.sent.map((s) => s.topic)).toEqual(['t', 't']);
    await bus.close();
    await expect(bus.send('t', ['"d"'])).rejects.toThrow(/closed/);
  });
});
