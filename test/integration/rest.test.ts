/**
 * The REST service in-process on the real broker and Redis, served over real HTTP (fetch), with the
 * Kafka Monitor and the Redis Monitor running beside it: a stats request answered synchronously, a
 * crawl queued, a slow reply turned into a poll_id that a second REST node answers, the error cases,
 * and the index following a Redis outage (on a private Redis, so the files running beside this one
 * keep theirs).
 *
 * Every test has its own topic prefix, and the components share a Redis database of their own
 * (REST_DB), so no other file's Redis Monitor takes this file's stats requests.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startServices, type ServicesHandle } from '../../scripts/services/stack.js';
import { STATE_DIR } from '../../scripts/services/state.js';
import { connectBus, KafkaBus, kafkaBrokerList, type Bus } from '../../src/core/bus/index.js';
import { resolveSettings } from '../../src/settings.js';
import { connectStore, type Store } from '../../src/core/store/index.js';
import { KafkaMonitor } from '../../src/kafka-monitor/monitor.js';
import { RedisMonitor } from '../../src/redis-monitor/index.js';
import { REST_MESSAGES, RestService } from '../../src/rest/index.js';
import { captureLogger, waitFor, type CapturedLog } from '../support/capture-logger.js';
import { freePort } from '../support/cli-process.js';
import { crawlerSettings, startCrawler, uniqueLinkSpider, watchCrawled } from '../support/crawl-cluster.js';
import { servicesEnv } from '../support/services.js';
import { startTestWeb } from '../../src/testweb/index.js';
import { TEST_REDIS_DBS } from '../support/redis-dbs.js';

const REST_DB = TEST_REDIS_DBS.rest;
const RUN = randomUUID().slice(0, 8);
/** Generous bounds, never asserted: they only keep a slow machine from failing the test. */
const WAIT_SECONDS = 30;

type Json = Record<string, unknown>;
interface Envelope {
  data: Json | null;
  error: { message: string; cause?: string } | null;
  status: string;
}

let seq = 0;
let admin: KafkaBus;
let checker: Store;
const stops: (() => Promise<void>)[] = [];

function names(what: string) {
  const id = `rest${RUN}${what}${++seq}`;
  return { id, prefix: id, incoming: `${id}.incoming`, appid: `app${id}`, spider: `sp${id}` };
}
type Names = ReturnType<typeof names>;

interface Node {
  service: RestService;
  url: string;
  lines: CapturedLog[];
}

/** A REST node as `scrapy-cluster rest` runs it, on an ephemeral port of 127.0.0.1. */
async function startRest(n: Names, overrides: Json = {}, options: { wait?: boolean } = {}): Promise<Node> {
  const { REDIS_HOST, REDIS_PORT, KAFKA_HOSTS } = servicesEnv();
  const settings = resolveSettings('rest', {
    env: {},
    overrides: {
      REDIS_HOST,
      REDIS_PORT,
      REDIS_DB: REST_DB,
      KAFKA_HOSTS,
      KAFKA_TOPIC_PREFIX: n.prefix,
      KAFKA_PRODUCER_TOPIC: n.incoming,
      WAIT_FOR_RESPONSE_TIME: WAIT_SECONDS,
      FLASK_LOGGING_ENABLED: false,
      SLEEP_TIME: 0.2,
      ...overrides,
    },
  });
  const { logger, lines } = captureLogger('rest-service');
  const service = new RestService({
    settings,
    logger,
    connectStore: () => connectStore(settings, 'rest'),
    connectBus: () =>
      connectBus(settings, { clientId: `${n.id}-rest`, timeoutMs: settings.KAFKA_FEED_TIMEOUT * 1000 }),
    backoff: { baseMs: 100, maxMs: 1000 },
    redisWatchIntervalMs: 100,
  }).start();
  stops.push(() => service.close());
  const address = await service.listen({ port: 0, host: '127.0.0.1' });
  if (options.wait !== false) await service.connected();
  return { service, url: `http://127.0.0.1:${address.port}`, lines };
}

async function startKafkaMonitor(n: Names): Promise<void> {
  const { REDIS_HOST, REDIS_PORT, KAFKA_HOSTS } = servicesEnv();
  const settings = resolveSettings('kafka-monitor', {
    env: {},
    overrides: {
      REDIS_HOST,
      REDIS_PORT,
      REDIS_DB: REST_DB,
      KAFKA_HOSTS,
      KAFKA_INCOMING_TOPIC: n.incoming,
      KAFKA_GROUP: `${n.id}-km`,
      STATS_DUMP: 0,
    },
  });
  const store = await connectStore(settings, 'kafka-monitor');
  const bus = await KafkaBus.connect({ brokers: kafkaBrokerList(KAFKA_HOSTS), clientId: `${n.id}-km` });
  const { logger } = captureLogger('kafka-monitor');
  const monitor = await KafkaMonitor.create({ settings, store, bus, logger });
  await monitor.start();
  stops.push(async () => {
    await monitor.close();
    await bus.close();
    await store.close();
  });
}

async function startRedisMonitor(n: Names): Promise<void> {
  const { REDIS_HOST, REDIS_PORT, KAFKA_HOSTS } = servicesEnv();
  const settings = resolveSettings('redis-monitor', {
    env: {},
    overrides: {
      REDIS_HOST,
      REDIS_PORT,
      REDIS_DB: REST_DB,
      KAFKA_HOSTS,
      KAFKA_TOPIC_PREFIX: n.prefix,
      SLEEP_TIME: 0.1,
      STATS_DUMP: 0,
      // Only the plugins these tests use: no ZooKeeper needed.
      PLUGINS: { ExpireMonitor: null, ZookeeperMonitor: null },
    },
  });
  const store = await connectStore(settings, 'redis-monitor');
  const bus = await KafkaBus.connect({ brokers: kafkaBrokerList(KAFKA_HOSTS), clientId: `${n.id}-rm` });
  const { logger } = captureLogger('redis-monitor');
  const monitor = await RedisMonitor.create({ settings, store, bus, logger, heartbeatInterval: 1 });
  monitor.start();
  stops.push(async () => {
    await monitor.close();
    await bus.close();
    await store.close();
  });
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Envelope };
}

async function index(node: Node): Promise<Json> {
  return (await (await fetch(`${node.url}/`)).json()) as Json;
}

beforeAll(async () => {
  const { REDIS_HOST, REDIS_PORT, KAFKA_HOSTS } = servicesEnv();
  admin = await KafkaBus.connect({ brokers: kafkaBrokerList(KAFKA_HOSTS), clientId: `rest${RUN}-admin` });
  checker = await connectStore({ REDIS_HOST, REDIS_PORT, REDIS_DB: REST_DB }, 'rest-test');
});

afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

afterAll(async () => {
  await admin?.close();
  await checker?.close();
});

/** The topics of one test, created up front so that no consumer waits for auto-creation. */
async function topics(n: Names): Promise<void> {
  await admin.createTopics([n.incoming, `${n.prefix}.outbound_firehose`]);
}

describe('REST service with the Kafka Monitor and the Redis Monitor', () => {
  it('answers a stats request through /feed synchronously with the Redis Monitor reply', async () => {
    const n = names('stats');
    await topics(n);
    await startKafkaMonitor(n);
    await startRedisMonitor(n);
    const node = await startRest(n);
    expect(await index(node)).toMatchObject({ node_health: 'GREEN', my_id: node.service.id });

    // The REST node's own heartbeat is what the `rest` stats count.
    const heartbeat = `stats:rest:self:${hostname()}:${node.service.id}`;
    await waitFor(async () => (await checker.get(heartbeat)) !== null, 10_000, 'the REST heartbeat');

    const uuid = `u-${n.id}`;
    const { status, body } = await post(`${node.url}/feed`, { uuid, appid: n.appid, stats: 'rest' });
    expect(status).toBe(200);
    expect(body.status).toBe('SUCCESS');
    expect(body.error).toBeNull();
    expect(body.data).toMatchObject({ uuid, appid: n.appid, stats: 'rest' });
    expect(typeof body.data?.server_time).toBe('number');
    const nodes = body.data?.nodes as Record<string, string[]>;
    expect(nodes[hostname()]).toContain(node.service.id);
    // Delivered to the request, so nothing was left for /poll.
    expect(await checker.get(`rest:poll:${uuid}`)).toBeNull();
    expect(node.service.replies.pending).toBe(0);
  });

  it('forwards a crawl request, which the Kafka Monitor queues', async () => {
    const n = names('crawl');
    await topics(n);
    await startKafkaMonitor(n);
    const node = await startRest(n);
    const crawl = { url: `http://www.${n.id}.com/start`, appid: n.appid, crawlid: 'c1', spiderid: n.spider };
    const { status, body } = await post(`${node.url}/feed`, crawl);
    expect(status).toBe(200);
    expect(body).toEqual({ data: null, error: null, status: 'SUCCESS' });
    const queue = `${n.spider}:${n.id}.com:queue`;
    await waitFor(async () => (await checker.zcard(queue)) === 1, WAIT_SECONDS * 1000, 'the queued crawl');
    const [member] = await checker.zrange(queue, 0, -1);
    expect(JSON.parse(member!)).toMatchObject(crawl);
  });

  it('feeds a crawl that a crawler then crawls, with the pages on the crawled topic', async () => {
    const n = names('crawled');
    await topics(n);
    await startKafkaMonitor(n);
    const node = await startRest(n);
    const web = await startTestWeb({ domains: 1, pagesPerDomain: 6, linksPerPage: 2, crossDomainLinks: 0 });
    stops.push(() => web.close());
    const spider = uniqueLinkSpider(n.spider);
    const crawled = await watchCrawled(n.prefix);
    stops.push(() => crawled.close());
    const crawler = await startCrawler(spider, crawlerSettings(web, n.prefix, { REDIS_DB: REST_DB }));
    stops.push(() => crawler.stop());
    const seed = web.url(0, '/');
    const { status } = await post(`${node.url}/feed`, {
      url: seed,
      appid: n.appid,
      crawlid: 'c1',
      spiderid: n.spider,
      maxdepth: 2,
    });
    expect(status).toBe(200);
    const expected = web.reachablePages(seed, { maxDepth: 2 });
    await waitFor(() => crawled.urls('c1').length >= expected.size, WAIT_SECONDS * 1000, 'the crawled pages');
    expect(new Set(crawled.urls('c1'))).toEqual(new Set(expected.keys()));
  });

  it('turns a slow reply into a poll_id that /poll on a second REST node answers', async () => {
    const n = names('poll');
    await topics(n);
    await startKafkaMonitor(n);
    // Node A gives up quickly; the Redis Monitor is not running yet, so the reply cannot come in time.
    const a = await startRest(n, { WAIT_FOR_RESPONSE_TIME: 0.5, REST_POLL_TTL: 300 });
    const b = await startRest(n, { REST_POLL_TTL: 300 });
    const uuid = `u-${n.id}`;

    const fed = await post(`${a.url}/feed`, { uuid, appid: n.appid, stats: 'kafka-monitor' });
    expect(fed.status).toBe(200);
    expect(fed.body).toEqual({ data: { poll_id: uuid }, error: null, status: 'SUCCESS' });
    expect(a.service.replies.pending).toBe(0);
    const early = await post(`${b.url}/poll`, { poll_id: uuid });
    expect(early.status).toBe(404);
    expect(early.body).toEqual({
      data: null,
      error: { message: REST_MESSAGES.pollMissing },
      status: 'FAILURE',
    });

    // The reply comes late, after A stopped waiting; every node stores it for /poll.
    await startRedisMonitor(n);
    const key = `rest:poll:${uuid}`;
    await waitFor(async () => (await checker.get(key)) !== null, WAIT_SECONDS * 1000, 'the stored reply');
    expect(await checker.ttl(key)).toBeGreaterThan(0);

    const polled = await post(`${b.url}/poll`, { poll_id: uuid });
    expect(polled.status).toBe(200);
    expect(polled.body.status).toBe('SUCCESS');
    expect(polled.body.data).toMatchObject({ uuid, appid: n.appid, stats: 'kafka-monitor' });
    // Taken once: the same poll on node A finds nothing any more.
    const again = await post(`${a.url}/poll`, { poll_id: uuid });
    expect(again.status).toBe(404);
  });

  it('answers every error case with its status and envelope', async () => {
    const n = names('errors');
    await topics(n);
    const node = await startRest(n, { REST_BODY_LIMIT: 1000 });
    const failure = (message: string, cause?: string) => ({
      data: null,
      error: cause === undefined ? { message } : { cause, message },
      status: 'FAILURE',
    });

    expect(await post(`${node.url}/feed`, '{"url": ')).toEqual({
      status: 400,
      body: failure(REST_MESSAGES.badJson),
    });
    const plain = await fetch(`${node.url}/feed`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'text/plain' },
    });
    expect(plain.status).toBe(400);
    expect(await plain.json()).toEqual(failure(REST_MESSAGES.badJson));
    expect(
      await post(`${node.url}/feed`, { url: 'http://a.com', appid: 'app', crawlid: 'c', crazykey: 1 }),
    ).toEqual({
      status: 400,
      body: failure(REST_MESSAGES.badSchema, 'crazykey: is not a known field'),
    });
    expect(await post(`${node.url}/poll`, { poll_id: 'x', otherkey: 1 })).toEqual({
      status: 400,
      body: failure(REST_MESSAGES.badSchema, 'otherkey: is not a known field'),
    });
    expect(await post(`${node.url}/poll`, { poll_id: `missing-${n.id}` })).toEqual({
      status: 404,
      body: failure(REST_MESSAGES.pollMissing),
    });
    const unknown = await fetch(`${node.url}/no/such/endpoint`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual(failure(REST_MESSAGES.noEndpoint));
    const big = await post(`${node.url}/feed`, {
      url: `http://a.com/${'x'.repeat(2000)}`,
      appid: 'app',
      crawlid: 'c',
    });
    expect(big.status).toBe(413);
    expect(big.body.error?.message).toBe(REST_MESSAGES.tooLarge);

    // Kafka unreachable: the node still serves, YELLOW, and /feed says so.
    const noKafka = await startRest(
      n,
      { KAFKA_HOSTS: `127.0.0.1:${await freePort()}`, KAFKA_FEED_TIMEOUT: 2 },
      { wait: false },
    );
    await noKafka.service.redis.firstConnection();
    expect(await index(noKafka)).toMatchObject({
      kafka_connected: false,
      redis_connected: true,
      node_health: 'YELLOW',
    });
    expect(await post(`${noKafka.url}/feed`, { uuid: 'u', appid: 'app', stats: 'all' })).toEqual({
      status: 500,
      body: failure(REST_MESSAGES.kafkaDown),
    });

    // Redis unreachable: YELLOW the other way, and /poll says so.
    const noRedis = await startRest(n, { REDIS_PORT: await freePort() }, { wait: false });
    await noRedis.service.kafka.firstConnection();
    expect(await index(noRedis)).toMatchObject({
      kafka_connected: true,
      redis_connected: false,
      node_health: 'YELLOW',
    });
    expect(await post(`${noRedis.url}/poll`, { poll_id: 'x' })).toEqual({
      status: 500,
      body: failure(REST_MESSAGES.redisDown),
    });

    // Neither: RED.
    const neither = await startRest(
      n,
      {
        REDIS_PORT: await freePort(),
        KAFKA_HOSTS: `127.0.0.1:${await freePort()}`,
        KAFKA_FEED_TIMEOUT: 2,
      },
      { wait: false },
    );
    expect(await index(neither)).toMatchObject({
      kafka_connected: false,
      redis_connected: false,
      node_health: 'RED',
    });
  });

  it('protects /feed and /poll with REST_API_KEYS and leaves the index open', async () => {
    const n = names('keys');
    await topics(n);
    const node = await startRest(n, { REST_API_KEYS: ['s3cret'] });
    expect((await fetch(`${node.url}/`)).status).toBe(200);
    const denied = await post(`${node.url}/poll`, { poll_id: 'x' });
    expect(denied.status).toBe(401);
    expect(denied.body.error?.message).toBe(REST_MESSAGES.unauthorized);
    expect((await post(`${node.url}/poll`, { poll_id: 'x' }, { 'x-api-key': 's3cret' })).status).toBe(404);
    expect(
      (await post(`${node.url}/poll`, { poll_id: 'x' }, { authorization: 'Bearer s3cret' })).status,
    ).toBe(404);
  });
});

describe('REST service across a Redis outage', () => {
  let stack: ServicesHandle;
  let bus: Bus;

  beforeAll(async () => {
    const { KAFKA_HOSTS, ZOOKEEPER_HOSTS, SERVICES_STATE_FILE } = servicesEnv();
    const stateFile = join(STATE_DIR, `stack-rest-${process.pid}.json`);
    if (stateFile === SERVICES_STATE_FILE)
      throw new Error('the test worker shares the global setup state file');
    // Only Redis is missing from this env, so only a private Redis is started.
    stack = await startServices({ env: { KAFKA_HOSTS, ZOOKEEPER_HOSTS }, stateFile, log: () => undefined });
    bus = await KafkaBus.connect({ brokers: kafkaBrokerList(KAFKA_HOSTS), clientId: `rest${RUN}-outage` });
  });

  afterAll(async () => {
    await bus?.close();
    await stack?.stop();
  });

  it('turns YELLOW when Redis stops, GREEN when it returns, and starts while Redis is down', async () => {
    const n = names('outage');
    await topics(n);
    const privateRedis = { REDIS_HOST: stack.env.REDIS_HOST, REDIS_PORT: stack.env.REDIS_PORT, REDIS_DB: 0 };
    const node = await startRest(n, privateRedis);
    expect(await index(node)).toMatchObject({ node_health: 'GREEN' });

    await stack.redis.stop();
    await waitFor(async () => (await index(node)).node_health === 'YELLOW', WAIT_SECONDS * 1000, 'YELLOW');
    expect(await index(node)).toMatchObject({ kafka_connected: true, redis_connected: false });
    expect(await post(`${node.url}/poll`, { poll_id: 'x' })).toMatchObject({
      status: 500,
      body: { error: { message: REST_MESSAGES.redisDown } },
    });
    await waitFor(
      () => node.lines.some((l) => l.message === 'Lost connection to Redis'),
      10_000,
      'the loss log',
    );

    // A node started during the outage serves too, and connects once Redis is back.
    const late = await startRest(n, privateRedis, { wait: false });
    await late.service.kafka.firstConnection();
    expect(await index(late)).toMatchObject({
      kafka_connected: true,
      redis_connected: false,
      node_health: 'YELLOW',
    });

    await stack.redis.start();
    for (const each of [node, late]) {
      await waitFor(async () => (await index(each)).node_health === 'GREEN', WAIT_SECONDS * 1000, 'GREEN');
    }
    expect(await post(`${node.url}/poll`, { poll_id: 'x' })).toMatchObject({ status: 404 });

    // Replies are stored for /poll again, and the heartbeat is back.
    const uuid = `u-${n.id}`;
    await bus.send(`${n.prefix}.outbound_firehose`, [JSON.stringify({ uuid, back: true })]);
    const store = await connectStore(privateRedis, 'rest-outage-check');
    try {
      await waitFor(
        async () => (await store.get(`rest:poll:${uuid}`)) !== null,
        WAIT_SECONDS * 1000,
        'the stored reply',
      );
      expect(await store.exists(`stats:rest:self:${hostname()}:${late.service.id}`)).toBe(true);
    } finally {
      await store.close();
    }
    expect((await post(`${late.url}/poll`, { poll_id: uuid })).body.data).toEqual({ uuid, back: true });
  });
});
