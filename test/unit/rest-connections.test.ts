/**
 * The REST service's parts below the endpoints: connections made in the background with backoff and
 * remade after a loss, the heartbeat, the reply router's waiters, the choice of the validation cause,
 * and the protection helpers.
 */
import { hostname } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBroker, MemoryBus, type Bus } from '../../src/core/bus/index.js';
import { resolveSettings } from '../../src/settings.js';
import { MemoryStore, type Store } from '../../src/core/store/index.js';
import {
  ApiKeys,
  backoffDelay,
  CorsPolicy,
  FeedValidator,
  restHeartbeatKey,
  isJsonContentType,
  KafkaLink,
  nodeHealth,
  RedisLink,
  ReplyRouter,
  RestService,
  takePoll,
} from '../../src/rest/index.js';
import { captureLogger, waitFor } from '../support/capture-logger.js';

const FAST_BACKOFF = { baseMs: 5, maxMs: 20 };
const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const messagesOf = (lines: { message: string }[], message: string) =>
  lines.filter((l) => l.message === message);

describe('backoff and health colours', () => {
  it('doubles from 0.5 s up to 10 s, as the original', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 50].map((n) => backoffDelay(n))).toEqual([
      500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000,
    ]);
  });

  it('is GREEN with both, YELLOW with one, RED with none', () => {
    expect(nodeHealth(true, true)).toBe('GREEN');
    expect(nodeHealth(true, false)).toBe('YELLOW');
    expect(nodeHealth(false, true)).toBe('YELLOW');
    expect(nodeHealth(false, false)).toBe('RED');
  });
});

describe('RedisLink', () => {
  it('keeps retrying the first connection in the background until Redis answers', async () => {
    const { logger, lines } = captureLogger();
    let attempts = 0;
    const store = new MemoryStore();
    const connected: Store[] = [];
    const link = new RedisLink({
      connect: async () => {
        if (++attempts < 4) throw new Error('ECONNREFUSED');
        return store;
      },
      logger,
      backoff: FAST_BACKOFF,
      onConnected: (s) => connected.push(s),
    });
    closers.push(() => link.close());
    expect(link.connected).toBe(false);
    link.start();
    await link.firstConnection();
    expect(attempts).toBe(4);
    expect(link.connected).toBe(true);
    expect(connected).toEqual([store]);
    expect(messagesOf(lines, 'Unable to connect to redis')).toHaveLength(3);
    expect(messagesOf(lines, 'Successfully connected to redis')).toHaveLength(1);
  });

  it('stops retrying when closed', async () => {
    const { logger } = captureLogger();
    let attempts = 0;
    const link = new RedisLink({
      connect: async () => {
        attempts++;
        throw new Error('down');
      },
      logger,
      backoff: { baseMs: 60_000, maxMs: 60_000 },
    });
    link.start();
    await waitFor(() => attempts === 1, 5000, 'the first attempt');
    await link.close();
    expect(attempts).toBe(1);
    expect(link.connected).toBe(false);
  });
});

describe('KafkaLink', () => {
  function link(connect: () => Promise<Bus>, checkIntervalMs = 10) {
    const { logger, lines } = captureLogger();
    const replies: string[] = [];
    const kafka = new KafkaLink({
      connect,
      replyTopic: 'demo.outbound_firehose',
      onReplies: async (messages) => void replies.push(...messages.map((m) => m.value)),
      logger,
      checkIntervalMs,
      checkTimeoutMs: 50,
      backoff: FAST_BACKOFF,
    });
    closers.push(() => kafka.close());
    kafka.start();
    return { kafka, lines, replies };
  }

  it('connects in the background and consumes the reply topic from the newest offset', async () => {
    const broker = new MemoryBroker();
    await new MemoryBus(broker).send('demo.outbound_firehose', ['{"uuid": "old"}']);
    let attempts = 0;
    const { kafka, lines, replies } = link(async () => {
      if (++attempts < 3) throw new Error('no broker');
      return new MemoryBus(broker);
    });
    await kafka.firstConnection();
    expect(kafka.connected).toBe(true);
    expect(messagesOf(lines, 'Unable to connect to Kafka')).toHaveLength(2);
    expect(messagesOf(lines, 'Connected successfully to Kafka')).toHaveLength(1);
    await new MemoryBus(broker).send('demo.outbound_firehose', ['{"uuid": "new"}']);
    await waitFor(() => replies.length === 1, 5000, 'the new reply');
    expect(replies).toEqual(['{"uuid": "new"}']);
  });

  it('notices a lost broker through its periodic check and makes a new connection', async () => {
    const broker = new MemoryBroker();
    let healthy = true;
    const buses: MemoryBus[] = [];
    class CheckedBus extends MemoryBus {
      override listTopics(): Promise<string[]> {
        return healthy ? super.listTopics() : Promise.reject(new Error('broker gone'));
      }
    }
    const { kafka, lines } = link(async () => {
      if (!healthy) throw new Error('broker gone');
      const bus = new CheckedBus(broker);
      buses.push(bus);
      return bus;
    });
    await kafka.firstConnection();
    healthy = false;
    await waitFor(() => !kafka.connected, 5000, 'the loss');
    expect(messagesOf(lines, 'Lost connection to Kafka').length).toBeGreaterThanOrEqual(1);
    await expect(kafka.send('t', ['x'], 100)).rejects.toThrow(/not connected/);
    healthy = true;
    await waitFor(() => kafka.connected, 5000, 'the new connection');
    expect(buses).toHaveLength(2);
    await kafka.send('t', ['x'], 1000);
  });
});

describe('RestService heartbeat', () => {
  it('writes stats:rest:self:<host>:<id> with HEARTBEAT_TIMEOUT once Redis is connected, and removes it on close', async () => {
    const settings = resolveSettings('rest', {
      env: {},
      overrides: { HEARTBEAT_TIMEOUT: 77, SLEEP_TIME: 0.05 },
    });
    const { logger } = captureLogger();
    const store = new MemoryStore();
    let redisUp = false;
    const service = new RestService({
      settings,
      logger,
      connectStore: async () => {
        if (!redisUp) throw new Error('down');
        return store;
      },
      connectBus: async () => new MemoryBus(),
      backoff: FAST_BACKOFF,
    }).start();
    let closed = false;
    closers.push(async () => {
      if (!closed) await service.close();
    });
    const key = `stats:rest:self:${hostname()}:${service.id}`;
    expect(restHeartbeatKey(service.id)).toBe(key);
    redisUp = true;
    await service.connected();
    await waitFor(async () => (await store.get(key)) !== null, 5000, 'the heartbeat');
    const ttl = await store.ttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(77);
    expect(Number(await store.get(key))).toBeGreaterThan(1_600_000_000);
    await service.close();
    closed = true;
    // The service closed its store; a second client of the same data looks.
    expect(await new MemoryStore(store.engine).exists(key)).toBe(false);
  });
});

describe('ReplyRouter waiters', () => {
  function router() {
    const { logger, lines } = captureLogger();
    const store = new MemoryStore();
    return { router: new ReplyRouter({ store: () => store, pollTtl: 60, logger }), store, lines };
  }
  const message = (value: string) => ({
    topic: 't',
    partition: 0,
    offset: 0n,
    key: null,
    value,
    timestamp: 0,
  });

  it('delivers a reply to every request waiting for its uuid and forgets them', async () => {
    const { router: r, store } = router();
    const a = r.expect('u1');
    const b = r.expect('u1');
    expect(r.pending).toBe(1);
    await r.handle([message('{"uuid": "u1", "n": 1}')]);
    expect(r.pending).toBe(0);
    expect(await a.result(5000)).toEqual({ uuid: 'u1', n: 1 });
    expect(await b.result(5000)).toEqual({ uuid: 'u1', n: 1 });
    expect(await store.get('rest:poll:u1')).toBeNull();
  });

  it('forgets a waiter that timed out or was cancelled; its reply is then stored for /poll', async () => {
    const { router: r, store } = router();
    const timedOut = r.expect('late');
    expect(await timedOut.result(1)).toBeUndefined();
    const cancelled = r.expect('gone');
    cancelled.cancel();
    expect(r.pending).toBe(0);
    await r.handle([message('{"uuid": "late"}'), message('{"uuid": "gone"}')]);
    expect(await store.get('rest:poll:late')).toBe('{"uuid": "late"}');
    expect(await store.get('rest:poll:gone')).toBe('{"uuid": "gone"}');
  });

  it('logs and skips replies it cannot store when Redis was never connected', async () => {
    const { logger, lines } = captureLogger();
    const r = new ReplyRouter({ store: () => undefined, pollTtl: 0, logger });
    await r.handle([message('{"uuid": "x"}')]);
    expect(messagesOf(lines, 'Unable to store poll results, not connected to redis')).toHaveLength(1);
  });
});

describe('takePoll', () => {
  it('returns the value and deletes it in one step', async () => {
    const store = new MemoryStore();
    await store.set('rest:poll:a', '{"x": 1}');
    expect(await takePoll(store, 'a')).toBe('{"x": 1}');
    expect(await takePoll(store, 'a')).toBeNull();
  });
});

describe('FeedValidator', () => {
  const validator = new FeedValidator();

  it('uses the Kafka Monitor built-in schemas in rank order', () => {
    expect(validator.schemaNames).toEqual([
      'ScraperHandler',
      'ActionHandler',
      'StatsHandler',
      'ZookeeperHandler',
    ]);
  });

  it.each([
    ['crawl', { url: 'http://a.com', appid: 'app', crawlid: 'c' }],
    ['info', { action: 'info', appid: 'app', uuid: 'u', spiderid: 'link' }],
    ['stop', { action: 'stop', appid: 'app', uuid: 'u', spiderid: 'link', crawlid: 'c' }],
    ['stats', { stats: 'all', appid: 'app', uuid: 'u' }],
    ['stats without type', { appid: 'app', uuid: 'u' }],
    ['zookeeper', { action: 'domain-update', appid: 'app', uuid: 'u', domain: 'a.com', hits: 1, window: 60 }],
  ])('accepts a valid %s request', (_what, request) => {
    expect(validator.validate(request)).toEqual({ ok: true });
  });

  it.each([
    ['url present', { url: 5, appid: 'app', crawlid: 'c' }, 'ScraperHandler'],
    ['action info/stop', { action: 'info', appid: 'app', uuid: 'u', crawlid: 'c' }, 'ActionHandler'],
    ['stats present', { stats: 'nope', appid: 'app', uuid: 'u' }, 'StatsHandler'],
    ['a domain action', { action: 'domain-remove', appid: 'app', uuid: 'u' }, 'ZookeeperHandler'],
    [
      'a blacklist action',
      { action: 'blacklist-update', appid: 'a', uuid: 'u', domain: 'a.com' },
      'ZookeeperHandler',
    ],
  ])('takes the cause from the schema that matches best when %s', (_what, request, schema) => {
    const result = validator.validate(request);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.schema).toBe(schema);
  });
});

describe('protection helpers', () => {
  it('ApiKeys: off without keys; X-Api-Key or Bearer with one of the keys', () => {
    expect(new ApiKeys([]).allows({})).toBe(true);
    expect(new ApiKeys(['']).enabled).toBe(false);
    const keys = new ApiKeys(['alpha', 'beta']);
    expect(keys.allows({})).toBe(false);
    expect(keys.allows({ 'x-api-key': 'beta' })).toBe(true);
    expect(keys.allows({ 'x-api-key': 'betax' })).toBe(false);
    expect(keys.allows({ authorization: 'Bearer alpha' })).toBe(true);
    expect(keys.allows({ authorization: 'bearer alpha' })).toBe(true);
    expect(keys.allows({ authorization: 'Token alpha' })).toBe(false);
  });

  it('CorsPolicy: exact origins (trailing slash ignored) or any', () => {
    expect(new CorsPolicy([]).allowOrigin('https://a.com')).toBeUndefined();
    const policy = new CorsPolicy(['https://a.com/']);
    expect(policy.allowOrigin('https://a.com')).toBe('https://a.com');
    expect(policy.allowOrigin('https://b.com')).toBeUndefined();
    expect(policy.allowOrigin(undefined)).toBeUndefined();
    expect(new CorsPolicy(['*']).allowOrigin('https://b.com')).toBe('*');
  });

  it('JSON content types as Flask recognised them', () => {
    expect(isJsonContentType('application/json')).toBe(true);
    expect(isJsonContentType('Application/JSON; charset=utf-8')).toBe(true);
    expect(isJsonContentType('application/problem+json')).toBe(true);
    expect(isJsonContentType('text/json')).toBe(false);
    expect(isJsonContentType('text/plain')).toBe(false);
    expect(isJsonContentType(undefined)).toBe(false);
  });
});
