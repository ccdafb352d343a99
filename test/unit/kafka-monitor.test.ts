import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../src/core/bus/index.js';
import { resolveSettings } from '../../src/settings.js';
import { MemoryStore } from '../../src/core/store/index.js';
import { KafkaMonitor } from '../../src/kafka-monitor/monitor.js';
import { captureLogger, waitFor } from '../support/capture-logger.js';

const TOPIC = 'demo.incoming';

async function setup(overrides: Record<string, unknown> = {}) {
  const settings = resolveSettings('kafka-monitor', { env: {}, overrides: { STATS_DUMP: 0, ...overrides } });
  const store = new MemoryStore();
  const bus = new MemoryBus();
  const { logger, lines } = captureLogger('kafka-monitor');
  const monitor = await KafkaMonitor.create({ settings, store, bus, logger });
  await monitor.start();
  const feed = (...requests: unknown[]) =>
    bus.send(
      TOPIC,
      requests.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))),
    );
  return { settings, store, bus, monitor, lines, feed };
}

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

describe('KafkaMonitor', () => {
  it('loads the four built-in plugins in rank order', async () => {
    const ctx = await setup();
    cleanup = () => ctx.monitor.close();
    expect(ctx.monitor.pluginNames).toEqual([
      'ScraperHandler',
      'ActionHandler',
      'StatsHandler',
      'ZookeeperHandler',
    ]);
  });

  it("names queues in the DOMAIN_KEYS style: normalized by default, the original's with tldextract", async () => {
    const urls = ['http://Sub.Example.COM/a', 'http://d0.test/', 'http://[::1]:8080/'];
    const normalized = await setup();
    for (const url of urls) await normalized.feed({ url, appid: 'testapp', crawlid: 'abc123' });
    for (const key of ['link:example.com:queue', 'link:d0.test:queue', 'link:[--1]:queue'])
      await waitFor(async () => (await normalized.store.zcard(key)) === 1, 5000, key);
    await normalized.monitor.close();
    const original = await setup({ DOMAIN_KEYS: 'tldextract' });
    cleanup = () => original.monitor.close();
    for (const url of urls) await original.feed({ url, appid: 'testapp', crawlid: 'abc123' });
    for (const key of ['link:Example.COM:queue', 'link:test.:queue', 'link:[.:queue'])
      await waitFor(async () => (await original.store.zcard(key)) === 1, 5000, key);
  });

  it('writes the default scale as the float 1.0, as ujson does', async () => {
    const ctx = await setup();
    cleanup = () => ctx.monitor.close();
    await ctx.feed({
      uuid: 'u7',
      appid: 'testapp',
      domain: 'cnn.com',
      action: 'domain-update',
      hits: 5,
      window: 9,
    });
    const key = 'zk:domain-update:cnn.com:testapp';
    await waitFor(async () => await ctx.store.exists(key), 5000, key);
    expect(await ctx.store.get(key)).toBe('{"domain":"cnn.com","uuid":"u7","hits":5,"scale":1.0,"window":9}');
  });

  it('warns when no live crawler (by heartbeat) serves the spider type of a crawl', async () => {
    const ctx = await setup();
    cleanup = () => ctx.monitor.close();
    await ctx.store.set('stats:crawler:host1:link:a1b2c3', '1', { ex: 60 });
    await ctx.feed(
      { url: 'http://a.com/', appid: 'testapp', crawlid: 'abc1', spiderid: 'link' },
      { url: 'http://a.com/', appid: 'testapp', crawlid: 'abc2', spiderid: 'nosuchspider' },
    );
    const warned = () => ctx.lines.find((l) => l.level === 'WARNING' && l.spiderid === 'nosuchspider');
    await waitFor(() => warned() !== undefined, 5000, 'the warning');
    expect(warned()).toMatchObject({ crawlid: 'abc2', appid: 'testapp' });
    expect(String(warned()!.message)).toContain("No live crawler serves spider type 'nosuchspider'");
    expect(ctx.lines.some((l) => l.level === 'WARNING' && l.spiderid === 'link')).toBe(false);
  });

  it('refuses a crawl whose url is not an absolute http(s) URL, logging the field error, counted as failed', async () => {
    const ctx = await setup();
    cleanup = () => ctx.monitor.close();
    await ctx.feed({ url: 'not a url', appid: 'testapp', crawlid: 'abc123' });
    const refused = () => ctx.lines.find((l) => l.message === 'Did not find schema to validate request');
    await waitFor(() => refused() !== undefined, 5000, 'the refusal');
    expect(refused()!.error).toBe('url: must be an absolute http(s) URL, got "not a url"');
    await waitFor(
      async () => (await ctx.store.zcard('stats:kafka-monitor:fail:900')) === 1,
      5000,
      'fail count',
    );
    const queues: string[] = [];
    for await (const keys of ctx.store.scan('link:*:queue')) queues.push(...keys);
    expect(queues).toEqual([]);
  });

  it('queues a crawl request with defaults and ts under its registered domain', async () => {
    const ctx = await setup();
    cleanup = () => ctx.monitor.close();
    await ctx.feed({
      url: 'http://www.bbc.co.uk/news',
      appid: 'testapp',
      crawlid: 'abc123',
      priority: 5,
      expires: 1999999999,
    });
    const key = 'link:bbc.co.uk:queue';
    await waitFor(async () => (await ctx.store.zcard(key)) === 1, 5000, 'the queued request');
    const [entry] = await ctx.store.zrangeWithScores(key, 0, 0);
    expect(Math.floor(entry!.score)).toBe(-5);
    const member = JSON.parse(entry!.member) as Record<string, unknown>;
    expect(Object.keys(member)).toEqual([
      'url',
      'appid',
      'crawlid',
      'priority',
      'expires',
      'spiderid',
      'maxdepth',
      'domain_max_pages',
      'allowed_domains',
      'allow_regex',
      'deny_regex',
      'deny_extensions',
      'useragent',
      'cookie',
      'attrs',
      'ts',
    ]);
    expect(member).toMatchObject({ spiderid: 'link', maxdepth: 0, attrs: null, domain_max_pages: null });
    expect(typeof member.ts).toBe('number');
    expect(await ctx.store.get('timeout:link:testapp:abc123')).toBe('1999999999');
    expect(ctx.lines.some((l) => l.message === 'Added crawl to Redis' && l.crawlid === 'abc123')).toBe(true);
  });

  it("announces the batch's domain queues once per spider channel after writing them", async () => {
    const ctx = await setup();
    cleanup = () => ctx.monitor.close();
    const heard: { message: string; queued: number }[] = [];
    await ctx.store.subscribe('link:queue_announce', (message) => {
      // What a crawler hearing the announcement finds in the queue.
      void ctx.store.zcard('link:bbc.co.uk:queue').then((queued) => heard.push({ message, queued }));
    });
    const request = (url: string, crawlid: string) => ({ url, appid: 'testapp', crawlid });
    await ctx.feed(
      request('http://www.bbc.co.uk/news', 'crawl1'),
      request('http://www.bbc.co.uk/sport', 'crawl2'),
      request('http://example.com/', 'crawl3'),
    );
    await waitFor(async () => Promise.resolve(heard.length > 0), 5000, 'the announcement');
    expect(heard).toHaveLength(1);
    expect(heard[0]!.message.split('\n').sort()).toEqual(['link:bbc.co.uk:queue', 'link:example.com:queue']);
    expect(heard[0]!.queued).toBe(2);
  });

  it('writes action, stats and zookeeper jobs exactly as the original', async () => {
    const ctx = await setup();
    cleanup = () => ctx.monitor.close();
    await ctx.feed(
      { action: 'info', appid: 'testapp', uuid: 'u1', spiderid: 'link' },
      { action: 'stop', appid: 'testapp', uuid: 'u2', spiderid: 'link', crawlid: 'c9' },
      { stats: 'kafka-monitor', appid: 'testapp', uuid: 'u3' },
      { appid: 'testapp', uuid: 'u4' },
      {
        uuid: 'u5',
        appid: 'testapp',
        domain: 'dmoz.org',
        action: 'domain-update',
        hits: 60,
        window: 60,
        scale: 0.5,
      },
      { uuid: 'u6', appid: 'testapp', domain: 'ebay.com', action: 'blacklist-update' },
    );
    await waitFor(
      async () => await ctx.store.exists('zk:blacklist-update:ebay.com:testapp'),
      5000,
      'the last job',
    );
    expect(await ctx.store.get('info:link:testapp')).toBe('u1');
    expect(await ctx.store.get('stop:link:testapp:c9')).toBe('u2');
    expect(await ctx.store.get('statsrequest:kafka-monitor:testapp')).toBe('u3');
    expect(await ctx.store.get('statsrequest:all:testapp')).toBe('u4');
    expect(JSON.parse((await ctx.store.get('zk:domain-update:dmoz.org:testapp'))!)).toEqual({
      domain: 'dmoz.org',
      uuid: 'u5',
      hits: 60,
      scale: 0.5,
      window: 60,
    });
    expect(JSON.parse((await ctx.store.get('zk:blacklist-update:ebay.com:testapp'))!)).toEqual({
      domain: 'ebay.com',
      uuid: 'u6',
    });
  });

  it('logs and counts bad input without stopping: bad JSON, unknown keys, colons, missing hits', async () => {
    const ctx = await setup({ STATS_TIMES: ['SECONDS_15_MINUTE'] });
    cleanup = () => ctx.monitor.close();
    await ctx.feed(
      '{not json',
      { url: 'http://a.com', appid: 'testapp', crawlid: 'c1', uuid: 'x' },
      { url: 'http://a.com', appid: 'test:app', crawlid: 'c1' },
      { uuid: 'u', appid: 'testapp', domain: 'a.com', action: 'domain-update' },
      { url: 'http://ok.com', appid: 'testapp', crawlid: 'fine' },
    );
    await waitFor(async () => (await ctx.store.zcard('link:ok.com:queue')) === 1, 5000, 'the valid request');
    const messages = ctx.lines.map((l) => l.message);
    expect(messages).toContain('Unparseable JSON Received');
    expect(messages.filter((m) => m === 'Did not find schema to validate request')).toHaveLength(2);
    expect(messages).toContain("'hits' and 'window' not set for domain update");
    const unparseable = ctx.lines.find((l) => l.message === 'Unparseable JSON Received')!;
    expect(unparseable).toMatchObject({ parsed: false, valid: false, data: '{not json', level: 'WARNING' });
    await waitFor(
      async () => (await ctx.store.zcard('stats:kafka-monitor:fail:900')) === 4,
      5000,
      'fail stats',
    );
    expect(await ctx.store.zcard('stats:kafka-monitor:total:900')).toBe(5);
    expect(await ctx.store.zcard('stats:kafka-monitor:ScraperHandler:900')).toBe(1);
    expect(await ctx.store.pfcount('stats:kafka-monitor:total:lifetime')).toBe(5);
  });

  it('writes the heartbeat key with its TTL', async () => {
    const ctx = await setup({ HEARTBEAT_TIMEOUT: 120 });
    cleanup = () => ctx.monitor.close();
    const keys: string[] = [];
    await waitFor(
      async () => {
        keys.length = 0;
        for await (const batch of ctx.store.scan('stats:kafka-monitor:self:*')) keys.push(...batch);
        return keys.length === 1;
      },
      5000,
      'the heartbeat',
    );
    expect(keys[0]).toMatch(new RegExp(`^stats:kafka-monitor:self:[^:]+:${ctx.monitor.id}$`));
    expect(ctx.monitor.id).toMatch(/^[0-9a-f]{12}$/);
    const ttl = await ctx.store.ttl(keys[0]!);
    expect(ttl).toBeGreaterThan(100);
  });
});
