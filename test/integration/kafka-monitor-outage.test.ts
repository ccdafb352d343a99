/**
 * A Redis outage in the middle of a 1,000-request feed: the Kafka Monitor retries while Redis is down,
 * never exits, and afterwards every request is in Redis exactly once.
 *
 * Redis here is a private server started through the service harness (Kafka and ZooKeeper are the shared
 * ones), so stopping it does not pull Redis away from the integration file running beside this one. The
 * harness stops Redis with SIGTERM, which makes it save `dump.rdb` into its data dir, and the restart
 * loads it: what was written before the outage is still there afterwards, so the final count proves
 * directly that nothing was skipped (1,000 distinct requests) and nothing was queued twice (1,000 members).
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServices, type ServicesHandle } from '../../scripts/services/stack.js';
import { STATE_DIR } from '../../scripts/services/state.js';
import { KafkaBus, kafkaBrokerList } from '../../src/core/bus/index.js';
import { resolveSettings } from '../../src/settings.js';
import { connectStore, type Store } from '../../src/core/store/index.js';
import { KafkaMonitor } from '../../src/kafka-monitor/monitor.js';
import { captureLogger, sleep, waitFor } from '../support/capture-logger.js';
import { servicesEnv } from '../support/services.js';

const TOTAL = 1000;
const DOMAINS = ['alpha.com', 'beta.org', 'gamma.co.uk', 'delta.net', 'epsilon.io'];
const id = `kmoutage${randomUUID().slice(0, 8)}`;
const spider = `sp${id}`;
const appid = `app${id}`;

let stack: ServicesHandle;
let producer: KafkaBus;
let checker: Store;

beforeAll(async () => {
  const { KAFKA_HOSTS, ZOOKEEPER_HOSTS, SERVICES_STATE_FILE } = servicesEnv();
  const stateFile = join(STATE_DIR, `stack-${process.pid}.json`);
  if (stateFile === SERVICES_STATE_FILE) throw new Error('the test worker shares the global setup process');
  // Only Redis is missing from this env, so only Redis is started.
  stack = await startServices({ env: { KAFKA_HOSTS, ZOOKEEPER_HOSTS }, stateFile, log: () => undefined });
  producer = await KafkaBus.connect({ brokers: kafkaBrokerList(KAFKA_HOSTS), clientId: `${id}-producer` });
  checker = await connectStore(
    { REDIS_HOST: stack.env.REDIS_HOST, REDIS_PORT: stack.env.REDIS_PORT },
    'checker',
  );
  // Keeping the data across the restart needs `shutdown-on-sigterm save` (Redis 7+); without it this test
  // could not tell "lost in the outage" from "never written".
  const version = /redis_version:(\d+)/.exec(String(await checker.call('INFO', 'server')))?.[1];
  if (!(Number(version) >= 7))
    throw new Error(`this test needs Redis 7 or later, found ${version ?? 'unknown'}`);
});

afterAll(async () => {
  await checker?.close();
  await producer?.close();
  await stack?.stop();
});

const request = (i: number) => ({
  url: `http://www.${DOMAINS[i % DOMAINS.length]}/item/${i}`,
  appid,
  crawlid: `c${i}`,
  spiderid: spider,
  priority: 1 + (i % 10),
  ...(i % 7 === 0 ? { expires: 2000000000 + i } : {}),
});

function feed(from: number, to: number): Promise<void> {
  const messages: string[] = [];
  for (let i = from; i < to; i++) messages.push(JSON.stringify(request(i)));
  return producer.send(`${id}.incoming`, messages);
}

/** Every queued member, across the per-domain queues. */
async function members(): Promise<string[]> {
  const all: string[] = [];
  for (const d of DOMAINS) all.push(...(await checker.zrange(`${spider}:${d}:queue`, 0, -1)));
  return all;
}

/** Like members(), but "not yet" while the checker's connection is still coming back. */
async function count(): Promise<number> {
  try {
    return (await members()).length;
  } catch {
    return -1;
  }
}

it(
  'writes all 1,000 requests exactly once across a Redis outage, without exiting',
  { timeout: 120_000 },
  async () => {
    const settings = resolveSettings('kafka-monitor', {
      env: {},
      overrides: {
        REDIS_HOST: stack.env.REDIS_HOST,
        REDIS_PORT: stack.env.REDIS_PORT,
        KAFKA_HOSTS: servicesEnv().KAFKA_HOSTS,
        KAFKA_INCOMING_TOPIC: `${id}.incoming`,
        KAFKA_GROUP: `${id}-group`,
        STATS_DUMP: 0,
      },
    });
    const store = await connectStore(settings, 'kafka-monitor');
    const bus = await KafkaBus.connect({ brokers: kafkaBrokerList(settings.KAFKA_HOSTS), clientId: id });
    const { logger, lines } = captureLogger('kafka-monitor');
    const monitor = await KafkaMonitor.create({ settings, store, bus, logger });
    await monitor.start();
    try {
      // A few hundred written...
      await feed(0, 300);
      await waitFor(async () => (await count()) === 300, 30_000, 'the first 300 requests');
      const before = await members();

      // ...then Redis goes away while the next requests arrive, and stays down while more are fed.
      await feed(300, 500);
      await stack.redis.stop();
      await feed(500, 800);
      await waitFor(
        () => lines.some((l) => l.message === 'Unable to write requests to Redis, will retry'),
        30_000,
        'the monitor noticing the outage',
      );
      await sleep(3000);
      expect(lines.filter((l) => l.message === 'Unable to write requests to Redis, will retry')).toHaveLength(
        1,
      );
      expect(lines.some((l) => l.message === 'Closing Kafka Monitor')).toBe(false);

      await stack.redis.start();
      await feed(800, TOTAL);
      await waitFor(async () => (await count()) >= TOTAL, 60_000, 'all 1,000 requests after the outage');

      const after = await members();
      expect(after).toHaveLength(TOTAL);
      const crawlids = after.map((m) => (JSON.parse(m) as { crawlid: string }).crawlid);
      expect(new Set(crawlids).size).toBe(TOTAL);
      expect(new Set(crawlids)).toEqual(new Set(Array.from({ length: TOTAL }, (_, i) => `c${i}`)));
      // What was written before the outage survived it unchanged (the restart kept the data).
      const kept = new Set(after);
      expect(before.filter((m) => !kept.has(m))).toEqual([]);
      // The timeout keys too: one per request with a non-zero expires.
      const timeouts: string[] = [];
      for await (const batch of checker.scan(`timeout:${spider}:${appid}:*`)) timeouts.push(...batch);
      expect(timeouts).toHaveLength(Math.ceil(TOTAL / 7));
      expect(await checker.get(`timeout:${spider}:${appid}:c700`)).toBe('2000000700');

      expect(lines.some((l) => l.message === 'Writing requests to Redis again')).toBe(true);
      expect(lines.some((l) => l.message === 'Closing Kafka Monitor')).toBe(false);
      expect(lines.filter((l) => l.message === 'Added crawl to Redis').length).toBeGreaterThanOrEqual(TOTAL);
    } finally {
      await monitor.close();
      await bus.close();
      await store.close();
    }
  },
);
