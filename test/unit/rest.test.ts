/**
 * The REST endpoints through fastify's inject() on MemoryBus + MemoryStore: the envelope and the
 * original's messages and status codes for every case, the uuid wait resolved by a reply published on
 * the outbound topic, the timeout that turns into a poll_id, /poll, and the protection settings.
 */
import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import {
  MemoryBroker,
  MemoryBus,
  type Bus,
  type BusMessage,
  type Outgoing,
} from '../../src/core/bus/index.js';
import { resolveSettings } from '../../src/settings.js';
import {
  MemoryStore,
  type Arg,
  type Pipeline,
  type Reply,
  type ScriptDef,
  type Store,
} from '../../src/core/store/index.js';
import { buildRestApp, REST_MESSAGES, ReplyRouter, RestService } from '../../src/rest/index.js';
import { registerRestCommand } from '../../src/cli/commands/rest.js';
import { captureLogger, waitFor, type CapturedLog } from '../support/capture-logger.js';

type Json = Record<string, unknown>;

const INCOMING = 'demo.incoming';
const OUTBOUND = 'demo.outbound_firehose';
const FAST_BACKOFF = { baseMs: 5, maxMs: 20 };

/** A MemoryStore whose connection can be taken away: commands reject and isReady turns false. */
class FlakyStore extends MemoryStore {
  up = true;

  get isReady(): boolean {
    return this.up;
  }

  override call(command: string, ...args: Arg[]): Promise<Reply> {
    return this.up ? super.call(command, ...args) : Promise.reject(new Error('connection lost'));
  }

  override run(script: ScriptDef, keys: string[], args: Arg[] = []): Promise<Reply> {
    return this.up ? super.run(script, keys, args) : Promise.reject(new Error('connection lost'));
  }

  override pipeline(): Pipeline {
    const pipeline = super.pipeline();
    if (this.up) return pipeline;
    return Object.assign(pipeline, { exec: () => Promise.reject(new Error('connection lost')) });
  }
}

interface Setup {
  service: RestService;
  broker: MemoryBroker;
  store: FlakyStore;
  lines: CapturedLog[];
  inject: RestService['app']['inject'];
  /** Requests the service produced to the incoming topic. */
  produced: () => Json[];
}

interface SetupOptions {
  settings?: Json;
  /** Replaces the bus factory (e.g. one that always fails). */
  connectBus?: (broker: MemoryBroker) => Promise<Bus>;
  connectStore?: (store: FlakyStore) => Promise<Store>;
  /** Skips waiting for both connections. */
  noWait?: boolean;
}

const services: RestService[] = [];
const buses: Bus[] = [];

afterEach(async () => {
  for (const s of services.splice(0)) await s.close();
  for (const b of buses.splice(0)) await b.close();
});

async function setup(options: SetupOptions = {}): Promise<Setup> {
  const settings = resolveSettings('rest', {
    env: {},
    overrides: { WAIT_FOR_RESPONSE_TIME: 5, FLASK_LOGGING_ENABLED: false, ...options.settings },
  });
  const broker = new MemoryBroker();
  const store = new FlakyStore();
  const { logger, lines } = captureLogger('rest-service');
  const service = new RestService({
    settings,
    logger,
    connectStore: () => (options.connectStore ? options.connectStore(store) : Promise.resolve(store)),
    connectBus: () =>
      options.connectBus ? options.connectBus(broker) : Promise.resolve(new MemoryBus(broker)),
    backoff: FAST_BACKOFF,
    kafkaCheckIntervalMs: 20,
    redisWatchIntervalMs: 20,
  }).start();
  services.push(service);
  if (!options.noWait) await service.connected();

  const produced: Json[] = [];
  const tap = new MemoryBus(broker);
  buses.push(tap);
  await tap.subscribe({
    topics: [INCOMING],
    handler: async (messages) => {
      for (const m of messages) produced.push(JSON.parse(m.value) as Json);
    },
  });
  return {
    service,
    broker,
    store,
    lines,
    inject: service.app.inject.bind(service.app),
    produced: () => produced,
  };
}

/** Answers every request with a uuid on the incoming topic by a reply on the outbound topic. */
async function responder(broker: MemoryBroker, reply: (request: Json) => Json | undefined): Promise<void> {
  const bus = new MemoryBus(broker);
  buses.push(bus);
  await bus.subscribe({
    topics: [INCOMING],
    handler: async (messages: BusMessage[]) => {
      for (const m of messages) {
        const answer = reply(JSON.parse(m.value) as Json);
        if (answer) await bus.send(OUTBOUND, [JSON.stringify(answer)]);
      }
    },
  });
}

const publish = (broker: MemoryBroker, ...replies: (Json | string)[]) =>
  new MemoryBus(broker).send(
    OUTBOUND,
    replies.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))),
  );

const postJson = (url: string, payload: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST' as const,
  url,
  payload: JSON.stringify(payload),
  headers: { 'content-type': 'application/json', ...headers },
});

const envelope = (data: unknown, error: Json | null = null) => ({
  data,
  error,
  status: error === null ? 'SUCCESS' : 'FAILURE',
});

const messagesOf = (lines: CapturedLog[], message: string) => lines.filter((l) => l.message === message);

const crawl = { url: 'http://www.example.com/a', appid: 'testapp', crawlid: 'c1' };
const statsRequest = { uuid: 'u-stats-1', appid: 'testapp', stats: 'kafka-monitor' };

describe('REST index', () => {
  it('answers GET and POST with the health object, keys in the original order and no envelope', async () => {
    const { service, inject, lines } = await setup();
    for (const method of ['GET', 'POST'] as const) {
      const res = await inject({ method, url: '/' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      const body = res.json<Json>();
      expect(Object.keys(body)).toEqual([
        'kafka_connected',
        'my_id',
        'node_health',
        'redis_connected',
        'uptime_sec',
      ]);
      expect(body).toMatchObject({
        kafka_connected: true,
        redis_connected: true,
        node_health: 'GREEN',
        my_id: service.id,
      });
      expect(body.my_id).toMatch(/^[0-9a-f]{12}$/);
      expect(Number.isInteger(body.uptime_sec)).toBe(true);
    }
    expect(messagesOf(lines, "'index' endpoint called")).toHaveLength(2);
  });

  it('does not need a JSON body, and logs the JSON it gets as content', async () => {
    const { inject, lines } = await setup();
    const junk = await inject({
      method: 'POST',
      url: '/',
      payload: 'not json',
      headers: { 'content-type': 'text/plain' },
    });
    expect(junk.statusCode).toBe(200);
    await inject(postJson('/', { hello: 'world' }));
    const logged = messagesOf(lines, "'index' endpoint called");
    expect(logged.map((l) => l.content)).toEqual([null, { hello: 'world' }]);
  });

  it('is RED with neither connection, YELLOW with one', async () => {
    const down = () => Promise.reject(new Error('refused'));
    const red = await setup({ connectBus: down, connectStore: down, noWait: true });
    expect((await red.inject({ method: 'GET', url: '/' })).json()).toMatchObject({
      kafka_connected: false,
      redis_connected: false,
      node_health: 'RED',
    });
    const yellow = await setup({ connectBus: down, noWait: true });
    await yellow.service.redis.firstConnection();
    expect((await yellow.inject({ method: 'GET', url: '/' })).json()).toMatchObject({
      kafka_connected: false,
      redis_connected: true,
      node_health: 'YELLOW',
    });
  });

  it('follows the Redis connection: YELLOW while it is lost, GREEN when it is back', async () => {
    const { inject, store, lines } = await setup();
    const health = async () => (await inject({ method: 'GET', url: '/' })).json<Json>().node_health;
    store.up = false;
    expect(await health()).toBe('YELLOW');
    await waitFor(() => messagesOf(lines, 'Lost connection to Redis').length === 1, 5000, 'the loss log');
    store.up = true;
    expect(await health()).toBe('GREEN');
  });
});

describe('REST feed', () => {
  it('produces a crawl request to KAFKA_PRODUCER_TOPIC and answers SUCCESS with null data', async () => {
    const { inject, produced, lines } = await setup();
    const res = await inject(postJson('/feed', crawl));
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('{"data":null,"error":null,"status":"SUCCESS"}');
    await waitFor(() => produced().length === 1, 5000, 'the produced request');
    expect(produced()[0]).toEqual(crawl);
    expect(messagesOf(lines, "'feed' endpoint called")[0]?.content).toEqual(crawl);
  });

  it('produces to a custom KAFKA_PRODUCER_TOPIC', async () => {
    const { inject, broker } = await setup({ settings: { KAFKA_PRODUCER_TOPIC: 'custom.in' } });
    const seen: string[] = [];
    const tap = new MemoryBus(broker);
    buses.push(tap);
    await tap.subscribe({
      topics: ['custom.in'],
      handler: async (m) => void seen.push(...m.map((x) => x.value)),
    });
    expect((await inject(postJson('/feed', crawl))).statusCode).toBe(200);
    await waitFor(() => seen.length === 1, 5000, 'the custom topic');
  });

  it.each([
    ['a body that is not JSON', { payload: '{"url": ', headers: { 'content-type': 'application/json' } }],
    [
      'JSON sent as text/plain',
      { payload: JSON.stringify(crawl), headers: { 'content-type': 'text/plain' } },
    ],
    ['JSON without a content type', { payload: JSON.stringify(crawl), headers: {} }],
    ['an empty JSON body', { payload: '', headers: { 'content-type': 'application/json' } }],
    ['an invalid media type', { payload: JSON.stringify(crawl), headers: { 'content-type': 'json/' } }],
  ])('answers 400 "The payload must be valid JSON." for %s', async (_what, request) => {
    const { inject, produced } = await setup();
    const res = await inject({ method: 'POST', url: '/feed', ...request });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual(envelope(null, { message: REST_MESSAGES.badJson }));
    expect(produced()).toEqual([]);
  });

  it('accepts application/<x>+json and a charset parameter', async () => {
    const { inject } = await setup();
    for (const type of ['application/json; charset=utf-8', 'application/vnd.api+json']) {
      const res = await inject({ ...postJson('/feed', crawl), headers: { 'content-type': type } });
      expect(res.statusCode).toBe(200);
    }
  });

  it.each([
    ['a crawl with an unknown member', { ...crawl, crazykey: 1 }, 'crazykey: is not a known field'],
    ['a crawl without appid', { url: 'http://x.com', crawlid: 'c' }, 'appid: is required'],
    [
      'a crawl whose url is not an absolute http(s) URL',
      { ...crawl, url: 'not a url' },
      'url: must be an absolute http(s) URL, got "not a url"',
    ],
    [
      'a crawl with a bad priority',
      { ...crawl, priority: 200 },
      'priority: must be an integer from 1 to 100, got 200',
    ],
    [
      'an info request without spiderid',
      { action: 'info', appid: 'testapp', uuid: 'u' },
      'spiderid: is required',
    ],
    [
      'a stop request with an unknown member',
      { action: 'stop', appid: 'testapp', uuid: 'u', spiderid: 'link', x: 1 },
      'x: is not a known field',
    ],
    [
      'a stats request with an unknown type',
      { stats: 'bogus', appid: 'testapp', uuid: 'u' },
      'stats: must be one of "kafka-monitor"',
    ],
    ['a stats request without uuid', { stats: 'all', appid: 'testapp' }, 'uuid: is required'],
    [
      'a domain update with a bad scale',
      { action: 'domain-update', appid: 'testapp', uuid: 'u', domain: 'x.com', scale: 2 },
      'scale: must be a number from 0 to 1, got 2',
    ],
    [
      'a blacklist update without domain',
      { action: 'blacklist-update', appid: 'testapp', uuid: 'u' },
      'domain: is required',
    ],
    ['an array', [1, 2], 'request: must be an object, got ['],
    ['a string', 'hello', 'request: must be an object, got "hello"'],
  ])('answers 400 with the best-matching schema error for %s', async (_what, request, cause) => {
    const { inject, produced, lines } = await setup();
    const res = await inject(postJson('/feed', request));
    expect(res.statusCode).toBe(400);
    const body = res.json<{ error: { cause: string; message: string }; data: unknown; status: string }>();
    expect(body.status).toBe('FAILURE');
    expect(body.data).toBeNull();
    expect(body.error.message).toBe(REST_MESSAGES.badSchema);
    expect(body.error.cause).toContain(cause);
    expect(Object.keys(body.error)).toEqual(['cause', 'message']);
    expect(messagesOf(lines, 'Invalid Schema')).toHaveLength(1);
    expect(produced()).toEqual([]);
  });

  it('answers 500 "Unable to connect to Kafka" while Kafka is down', async () => {
    const { inject, lines } = await setup({
      connectBus: () => Promise.reject(new Error('refused')),
      noWait: true,
    });
    const res = await inject(postJson('/feed', crawl));
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual(envelope(null, { message: REST_MESSAGES.kafkaDown }));
    expect(messagesOf(lines, 'Unable to write request to Kafka, not connected')).toHaveLength(1);
  });

  it('answers 500 when the produce fails, forgets the waiter, and reconnects', async () => {
    let connects = 0;
    class FailingBus extends MemoryBus {
      override send(): Promise<void> {
        return Promise.reject(new Error('broker gone'));
      }
    }
    const { inject, service, lines } = await setup({
      connectBus: async (broker) => (++connects === 1 ? new FailingBus(broker) : new MemoryBus(broker)),
    });
    const res = await inject(postJson('/feed', statsRequest));
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual(envelope(null, { message: REST_MESSAGES.kafkaDown }));
    expect(service.replies.pending).toBe(0);
    expect(messagesOf(lines, 'Failed to send message to Kafka')).toHaveLength(1);
    await waitFor(() => connects === 2 && service.kafka.connected, 5000, 'the new connection');
    expect((await inject(postJson('/feed', crawl))).statusCode).toBe(200);
  });

  it('answers 500 when the acknowledgement does not come within KAFKA_FEED_TIMEOUT', async () => {
    class SilentBus extends MemoryBus {
      override send(): Promise<void> {
        return new Promise(() => undefined);
      }
    }
    const { inject } = await setup({
      settings: { KAFKA_FEED_TIMEOUT: 0.05 },
      connectBus: async (broker) => new SilentBus(broker),
    });
    const res = await inject(postJson('/feed', crawl));
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual(envelope(null, { message: REST_MESSAGES.kafkaDown }));
  });

  it('waits for the reply with the request uuid and answers it synchronously', async () => {
    const { inject, broker, service, store } = await setup();
    const reply = {
      uuid: statsRequest.uuid,
      appid: 'testapp',
      stats: 'kafka-monitor',
      server_time: 1,
      data: { x: 1 },
    };
    await responder(broker, (r) => (r.uuid === statsRequest.uuid ? reply : undefined));
    const res = await inject(postJson('/feed', statsRequest));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(envelope(reply));
    expect(service.replies.pending).toBe(0);
    // The reply went to the request, not to Redis.
    expect(await store.get(`rest:poll:${statsRequest.uuid}`)).toBeNull();
  });

  it('gets the reply even when it arrives before the produce is acknowledged', async () => {
    class EagerBus extends MemoryBus {
      override async send(topic: string, messages: Outgoing[]): Promise<void> {
        for (const m of messages) {
          const request = JSON.parse(typeof m === 'string' ? m : m.value) as Json;
          if (request.uuid) await super.send(OUTBOUND, [JSON.stringify({ uuid: request.uuid, early: true })]);
        }
        await new Promise((r) => setTimeout(r, 20));
        await super.send(topic, messages);
      }
    }
    const { inject, store } = await setup({ connectBus: async (broker) => new EagerBus(broker) });
    const res = await inject(postJson('/feed', statsRequest));
    expect(res.json()).toEqual(envelope({ uuid: statsRequest.uuid, early: true }));
    expect(await store.get(`rest:poll:${statsRequest.uuid}`)).toBeNull();
  });

  it('gives each of several concurrent requests its own reply', async () => {
    const { inject, broker } = await setup();
    const uuids = ['a1', 'a2', 'a3', 'a4'];
    const seen: Json[] = [];
    // Replies only once all four arrived, in reverse order.
    await responder(broker, (r) => {
      seen.push(r);
      if (seen.length < uuids.length) return undefined;
      void publish(
        broker,
        ...[...seen].reverse().map((s) => ({ uuid: s.uuid, answer: `for-${String(s.uuid)}` })),
      );
      return undefined;
    });
    const results = await Promise.all(
      uuids.map((uuid) => inject(postJson('/feed', { uuid, appid: 'testapp', stats: 'all' }))),
    );
    expect(results.map((r) => r.json<{ data: Json }>().data)).toEqual(
      uuids.map((uuid) => ({ uuid, answer: `for-${uuid}` })),
    );
  });

  it('answers {"poll_id": uuid} after WAIT_FOR_RESPONSE_TIME, keeps nothing, and stores the late reply', async () => {
    const { inject, broker, service, store, lines } = await setup({
      settings: { WAIT_FOR_RESPONSE_TIME: 0.1, REST_POLL_TTL: 600 },
    });
    const res = await inject(postJson('/feed', statsRequest));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(envelope({ poll_id: statsRequest.uuid }));
    expect(service.replies.pending).toBe(0);
    expect(
      messagesOf(
        lines,
        'Did not get response within timeout from kafka. If the request is still running, use the `/poll` API',
      ),
    ).toHaveLength(1);

    const late = { uuid: statsRequest.uuid, appid: 'testapp', data: 'late' };
    await publish(broker, late);
    const key = `rest:poll:${statsRequest.uuid}`;
    await waitFor(async () => (await store.get(key)) !== null, 5000, 'the stored late reply');
    expect(JSON.parse((await store.get(key))!)).toEqual(late);
    const ttl = await store.ttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(600);

    const polled = await inject(postJson('/poll', { poll_id: statsRequest.uuid }));
    expect(polled.statusCode).toBe(200);
    expect(polled.json()).toEqual(envelope(late));
    expect(await store.get(key)).toBeNull();
    const again = await inject(postJson('/poll', { poll_id: statsRequest.uuid }));
    expect(again.statusCode).toBe(404);
  });
});

describe('REST bulk feed', () => {
  it('validates each request on its own, sends the valid ones in one batch, and reports each by index', async () => {
    const { inject, produced } = await setup();
    const second = { ...crawl, crawlid: 'c2', method: 'POST', body: 'q=1' };
    const res = await inject(
      postJson('/feed/bulk', [crawl, { url: 'http://a.test/' }, second, { ...crawl, maxdepth: 9 }]),
    );
    expect(res.statusCode).toBe(200);
    const data = res.json<{ data: { accepted: number; refused: number; results: Json[] } }>().data;
    expect([data.accepted, data.refused]).toEqual([2, 2]);
    expect(data.results.map((r) => [r.index, r.ok])).toEqual([
      [0, true],
      [1, false],
      [2, true],
      [3, false],
    ]);
    expect(String(data.results[1]!.error)).toMatch(/appid|crawlid/);
    expect(String(data.results[3]!.error)).toMatch(/maxdepth/);
    await waitFor(() => produced().length === 2, 5000, 'the two valid requests');
    expect(produced()).toEqual([crawl, second]);
  });

  it.each([
    ['an object', crawl, /JSON array/],
    ['an empty array', [], /no request/],
    ['too many requests', Array.from({ length: 1001 }, () => crawl), /at most 1000/],
  ])('refuses %s as a whole', async (_what, body, cause) => {
    const { inject, produced } = await setup();
    const res = await inject(postJson('/feed/bulk', body));
    expect(res.statusCode).toBe(400);
    expect(res.json<{ error: { cause: string } }>().error.cause).toMatch(cause);
    expect(produced()).toEqual([]);
  });
});

describe('REST replies for other nodes', () => {
  it('stores every reply with a uuid nobody here waits for, with REST_POLL_TTL', async () => {
    const { broker, store } = await setup({ settings: { REST_POLL_TTL: 30 } });
    await publish(broker, { uuid: 'other-1', x: 1 }, { uuid: 'other-2', y: 2 });
    await waitFor(async () => (await store.get('rest:poll:other-2')) !== null, 5000, 'the stored replies');
    expect(JSON.parse((await store.get('rest:poll:other-1'))!)).toEqual({ uuid: 'other-1', x: 1 });
    expect(await store.ttl('rest:poll:other-1')).toBeGreaterThan(0);
    expect(await store.ttl('rest:poll:other-1')).toBeLessThanOrEqual(30);
  });

  it('keeps them without expiry when REST_POLL_TTL is 0, as the original did', async () => {
    const { broker, store } = await setup({ settings: { REST_POLL_TTL: 0 } });
    await publish(broker, { uuid: 'forever', x: 1 });
    await waitFor(async () => (await store.get('rest:poll:forever')) !== null, 5000, 'the stored reply');
    expect(await store.ttl('rest:poll:forever')).toBe(-1);
  });

  it('ignores replies without a uuid and logs unparseable ones', async () => {
    const { broker, store, lines } = await setup();
    await publish(broker, { expire: 'notice' }, 'not json {', { uuid: 'after', ok: true });
    await waitFor(async () => (await store.get('rest:poll:after')) !== null, 5000, 'the last reply');
    expect(messagesOf(lines, 'Unparseable JSON Received from kafka')).toHaveLength(1);
    const keys: string[] = [];
    for await (const batch of store.scan('rest:poll:*')) keys.push(...batch);
    expect(keys).toEqual(['rest:poll:after']);
  });

  it('drops (and logs) replies it cannot store while Redis is down, and keeps consuming', async () => {
    const { broker, store, lines } = await setup();
    store.up = false;
    await publish(broker, { uuid: 'lost-1' });
    await waitFor(
      () => messagesOf(lines, 'Unable to store poll results in redis').length === 1,
      5000,
      'the warning',
    );
    store.up = true;
    await publish(broker, { uuid: 'kept-1' });
    await waitFor(async () => (await store.get('rest:poll:kept-1')) !== null, 5000, 'the next reply');
  });
});

describe('REST poll', () => {
  it('returns a stored reply once and deletes it', async () => {
    const { inject, store, lines } = await setup();
    await store.set('rest:poll:p1', JSON.stringify({ uuid: 'p1', data: [1, 2] }));
    const res = await inject(postJson('/poll', { poll_id: 'p1' }));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(envelope({ uuid: 'p1', data: [1, 2] }));
    expect(await store.exists('rest:poll:p1')).toBe(false);
    expect(messagesOf(lines, "'poll' endpoint called")[0]?.content).toEqual({ poll_id: 'p1' });
  });

  it('answers 404 "Could not find matching poll_id" when there is none', async () => {
    const { inject } = await setup();
    const res = await inject(postJson('/poll', { poll_id: 'nothing' }));
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual(envelope(null, { message: REST_MESSAGES.pollMissing }));
  });

  it.each([
    ['an unknown member', { poll_id: 'a', otherkey: 1 }, 'otherkey: is not a known field'],
    ['no poll_id', {}, 'poll_id: is required'],
    ['an empty poll_id', { poll_id: '' }, 'poll_id: must be a string of 1 to 100 characters, got ""'],
    [
      'a poll_id of 101 characters',
      { poll_id: 'x'.repeat(101) },
      'poll_id: must be a string of 1 to 100 characters, got "xxx',
    ],
    [
      'a numeric poll_id (no coercion)',
      { poll_id: 12 },
      'poll_id: must be a string of 1 to 100 characters, got 12',
    ],
    ['an array', ['a'], 'request: must be an object, got ['],
  ])('answers 400 with the jsonschema cause for %s', async (_what, request, cause) => {
    const { inject } = await setup();
    const res = await inject(postJson('/poll', request));
    expect(res.statusCode).toBe(400);
    const body = res.json<{ error: { cause: string; message: string } }>();
    expect(body.error.message).toBe(REST_MESSAGES.badSchema);
    expect(body.error.cause).toContain(cause);
  });

  it('answers 400 "The payload must be valid JSON." for a non-JSON body', async () => {
    const { inject } = await setup();
    const res = await inject({
      method: 'POST',
      url: '/poll',
      payload: 'poll_id=1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual(envelope(null, { message: REST_MESSAGES.badJson }));
  });

  it('answers 500 "Unparseable JSON Received from redis" and deletes the value', async () => {
    const { inject, store } = await setup();
    await store.set('rest:poll:bad', '{not json');
    const res = await inject(postJson('/poll', { poll_id: 'bad' }));
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual(envelope(null, { message: REST_MESSAGES.pollUnparseable }));
    expect(await store.exists('rest:poll:bad')).toBe(false);
  });

  it('answers 500 "Unable to connect to Redis" before the first connection and while it is lost', async () => {
    const never = await setup({ connectStore: () => Promise.reject(new Error('refused')), noWait: true });
    const res = await never.inject(postJson('/poll', { poll_id: 'x' }));
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual(envelope(null, { message: REST_MESSAGES.redisDown }));

    const lost = await setup();
    lost.store.up = false;
    const res2 = await lost.inject(postJson('/poll', { poll_id: 'x' }));
    expect(res2.statusCode).toBe(500);
    expect(res2.json()).toEqual(envelope(null, { message: REST_MESSAGES.redisDown }));
  });

  it('answers 500 "Unable to connect to Redis" when the command fails', async () => {
    // Connected as far as the client knows, but the command fails (e.g. a dropped socket not yet noticed).
    class BrokenStore extends MemoryStore {
      override run(): Promise<Reply> {
        return Promise.reject(new Error('socket closed unexpectedly'));
      }
      override call(): Promise<Reply> {
        return Promise.reject(new Error('socket closed unexpectedly'));
      }
    }
    const { inject, lines } = await setup({ connectStore: async () => new BrokenStore() });
    const res = await inject(postJson('/poll', { poll_id: 'x' }));
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual(envelope(null, { message: REST_MESSAGES.redisDown }));
    expect(messagesOf(lines, 'Lost connection to Redis')).toHaveLength(1);
  });
});

describe('REST unknown routes and errors', () => {
  it.each([
    ['GET', '/nothing/here'],
    ['POST', '/feed/'],
    ['GET', '/feed'],
    ['GET', '/poll'],
    ['DELETE', '/'],
    ['PUT', '/feed'],
  ] as const)('answers %s %s with 404 "The desired endpoint does not exist"', async (method, url) => {
    const { inject, lines } = await setup();
    const res = await inject({ method, url });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual(envelope(null, { message: REST_MESSAGES.noEndpoint }));
    expect(messagesOf(lines, 'Non-existant route called')).toHaveLength(1);
  });

  it('answers an uncaught error with 500 "An error occurred while processing your request."', async () => {
    const settings = resolveSettings('rest', { env: {}, overrides: {} });
    const { logger, lines } = captureLogger();
    const app = buildRestApp({
      settings,
      logger,
      kafka: { connected: true, send: () => Promise.resolve() },
      redis: { connected: true, store: new MemoryStore() },
      replies: new ReplyRouter({ store: () => undefined, pollTtl: 0, logger }),
      health: () => {
        throw new Error('boom');
      },
    });
    const res = await app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual(envelope(null, { message: REST_MESSAGES.uncaught }));
    const logged = messagesOf(lines, 'Uncaught Exception Thrown');
    expect(logged).toHaveLength(1);
    expect(logged[0]?.error).toBe('boom');
    await app.close();
  });
});

describe('REST protection', () => {
  const keyed = { REST_API_KEYS: ['k-one', 'k-two'] };

  it('is off by default: no key needed, no CORS headers', async () => {
    const { inject } = await setup();
    const res = await inject(postJson('/feed', crawl, { origin: 'https://ui.example.com' }));
    expect(res.statusCode).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers 401 "Missing or invalid API key" without a key or with a wrong one', async () => {
    const { inject, produced, lines } = await setup({ settings: keyed });
    const attempts: Record<string, string>[] = [
      {},
      { 'x-api-key': 'nope' },
      { authorization: 'Bearer nope' },
      { authorization: 'Basic k-one' },
    ];
    for (const headers of attempts) {
      const res = await inject(postJson('/feed', crawl, headers));
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual(envelope(null, { message: REST_MESSAGES.unauthorized }));
      expect(res.headers['www-authenticate']).toBe('Bearer');
    }
    expect((await inject(postJson('/poll', { poll_id: 'x' }))).statusCode).toBe(401);
    expect((await inject({ method: 'GET', url: '/unknown' })).statusCode).toBe(401);
    expect(produced()).toEqual([]);
    expect(messagesOf(lines, 'Rejected request without a valid API key').length).toBeGreaterThan(0);
  });

  it('accepts any configured key as X-Api-Key or Authorization: Bearer', async () => {
    const { inject } = await setup({ settings: keyed });
    expect((await inject(postJson('/feed', crawl, { 'x-api-key': 'k-one' }))).statusCode).toBe(200);
    expect((await inject(postJson('/feed', crawl, { authorization: 'Bearer k-two' }))).statusCode).toBe(200);
    expect((await inject(postJson('/poll', { poll_id: 'x' }, { 'x-api-key': 'k-two' }))).statusCode).toBe(
      404,
    );
  });

  it('keeps the index open for health checks', async () => {
    const { inject } = await setup({ settings: keyed });
    const res = await inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.json<Json>().node_health).toBe('GREEN');
  });

  it('answers 413 with an envelope for a body over REST_BODY_LIMIT', async () => {
    const { inject, produced } = await setup({ settings: { REST_BODY_LIMIT: 200 } });
    const res = await inject(
      postJson('/feed', { ...crawl, url: `http://www.example.com/${'a'.repeat(300)}` }),
    );
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual(
      envelope(null, { cause: 'The limit is 200 bytes', message: REST_MESSAGES.tooLarge }),
    );
    expect(produced()).toEqual([]);
    expect((await inject(postJson('/feed', crawl))).statusCode).toBe(200);
  });

  it('allows the configured origins and answers preflights', async () => {
    const { inject } = await setup({ settings: { REST_CORS_ORIGINS: ['https://ui.example.com'], ...keyed } });
    const allowed = await inject(
      postJson('/feed', crawl, { origin: 'https://ui.example.com', 'x-api-key': 'k-one' }),
    );
    expect(allowed.headers['access-control-allow-origin']).toBe('https://ui.example.com');
    expect(allowed.headers.vary).toContain('Origin');
    const other = await inject(
      postJson('/feed', crawl, { origin: 'https://evil.example.com', 'x-api-key': 'k-one' }),
    );
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    // A preflight carries no credentials and must not need any.
    const preflight = await inject({
      method: 'OPTIONS',
      url: '/feed',
      headers: { origin: 'https://ui.example.com', 'access-control-request-method': 'POST' },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://ui.example.com');
    expect(preflight.headers['access-control-allow-methods']).toContain('POST');
    expect(preflight.headers['access-control-allow-headers']).toContain('X-Api-Key');
    // Errors carry the header too, so a browser can read them.
    const denied = await inject(postJson('/feed', crawl, { origin: 'https://ui.example.com' }));
    expect(denied.statusCode).toBe(401);
    expect(denied.headers['access-control-allow-origin']).toBe('https://ui.example.com');
  });

  it('allows any origin with "*"', async () => {
    const { inject } = await setup({ settings: { REST_CORS_ORIGINS: ['*'] } });
    const res = await inject({ method: 'GET', url: '/', headers: { origin: 'https://any.example.org' } });
    expect(res.headers['access-control-allow-origin']).toBe('*');
  });
});

describe('REST command', () => {
  it('registers `rest` with the common options', () => {
    const program = new Command();
    registerRestCommand(program);
    const rest = program.commands.find((c) => c.name() === 'rest');
    expect(rest).toBeDefined();
    const flags = rest!.options.map((o) => o.long);
    expect(flags).toEqual(expect.arrayContaining(['--settings', '--log-level', '--log-json', '--log-file']));
  });
});
