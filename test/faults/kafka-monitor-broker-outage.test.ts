/**
 * Kafka goes away under a running Kafka Monitor: first a restart, then 30 s down. The consume stream
 * of @platformatic/kafka dies after its own few fetch retries; the subscription must re-create it and
 * resume from the committed offsets, so every request fed before, around and after the outages ends up
 * in Redis exactly once, and the monitor says once that it lost the broker and once that it is back.
 *
 * Kafka is a private broker started by the service harness (Redis and ZooKeeper are the shared ones),
 * so stopping it disturbs no other test file. A restarted broker keeps its port and data dir.
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

const id = `kmbroker${randomUUID().slice(0, 8)}`;
const spider = `sp${id}`;
const LOST = 'Lost the connection to Kafka, reconnecting';
const BACK = 'Consuming incoming requests from Kafka again';

let stack: ServicesHandle;
let checker: Store;

beforeAll(async () => {
  const { REDIS_HOST, REDIS_PORT, ZOOKEEPER_HOSTS, SERVICES_STATE_FILE } = servicesEnv();
  const stateFile = join(STATE_DIR, `stack-${process.pid}.json`);
  if (stateFile === SERVICES_STATE_FILE) throw new Error('the test worker shares the global setup process');
  // Only Kafka is missing from this env, so only Kafka is started.
  stack = await startServices({
    env: { REDIS_HOST, REDIS_PORT: String(REDIS_PORT), ZOOKEEPER_HOSTS },
    stateFile,
    log: () => undefined,
  });
  checker = await connectStore({ REDIS_HOST, REDIS_PORT }, 'checker');
}, 180_000);

afterAll(async () => {
  await checker?.close();
  await stack?.stop();
});

const request = (i: number) => ({
  url: `http://www.example${i % 5}.com/item/${i}`,
  appid: `app${id}`,
  crawlid: `c${i}`,
  spiderid: spider,
  priority: 1 + (i % 10),
});

/** Feeds requests [from, to) through a fresh producer, retrying while the broker is coming back. */
async function feed(from: number, to: number): Promise<void> {
  const messages: string[] = [];
  for (let i = from; i < to; i++) messages.push(JSON.stringify(request(i)));
  const deadline = Date.now() + 120_000;
  for (;;) {
    let bus: KafkaBus | undefined;
    try {
      bus = await KafkaBus.connect({
        brokers: kafkaBrokerList(stack.env.KAFKA_HOSTS),
        clientId: `${id}-feed`,
      });
      await bus.send(`${id}.incoming`, messages);
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(1000);
    } finally {
      await bus?.close().catch(() => undefined);
    }
  }
}

async function members(): Promise<string[]> {
  const all: string[] = [];
  for (let d = 0; d < 5; d++) all.push(...(await checker.zrange(`${spider}:example${d}.com:queue`, 0, -1)));
  return all;
}

it(
  'resumes after a broker restart and after 30 s without a broker; every request written exactly once',
  { timeout: 600_000 },
  async () => {
    const settings = resolveSettings('kafka-monitor', {
      env: {},
      overrides: {
        REDIS_HOST: stack.env.REDIS_HOST,
        REDIS_PORT: stack.env.REDIS_PORT,
        KAFKA_HOSTS: stack.env.KAFKA_HOSTS,
        KAFKA_INCOMING_TOPIC: `${id}.incoming`,
        KAFKA_GROUP: `${id}-group`,
        KAFKA_CONSUMER_AUTO_OFFSET_RESET: 'earliest',
        STATS_DUMP: 0,
      },
    });
    const store = await connectStore(settings, 'kafka-monitor');
    const bus = await KafkaBus.connect({ brokers: kafkaBrokerList(settings.KAFKA_HOSTS), clientId: id });
    await bus.createTopics([`${id}.incoming`]);
    const { logger, lines } = captureLogger('kafka-monitor');
    const monitor = await KafkaMonitor.create({ settings, store, bus, logger });
    await monitor.start();
    const count = async () => (await members()).length;
    try {
      await feed(0, 300);
      await waitFor(async () => (await count()) === 300, 60_000, 'the first 300 requests');
      expect(monitor.consuming).toBe(true);

      // 1. A restart (stop, start at once), with requests fed just before it.
      await feed(300, 400);
      await stack.kafka.restart();
      await feed(400, 600);
      await waitFor(async () => (await count()) === 600, 180_000, '600 requests after the restart');

      // 2. 30 s without a broker; requests fed before it and after it returns.
      await feed(600, 700);
      const lostBefore = lines.filter((l) => l.message === LOST).length;
      await stack.kafka.stop();
      await waitFor(
        () => lines.filter((l) => l.message === LOST).length > lostBefore,
        60_000,
        'the loss logged',
      );
      expect(monitor.consuming).toBe(false);
      await sleep(30_000);
      await stack.kafka.start();
      await feed(700, 1000);
      await waitFor(async () => (await count()) === 1000, 240_000, 'all 1,000 requests after the outage');
      await waitFor(() => monitor.consuming, 60_000, 'the subscription healthy again');

      await sleep(3000);
      const all = await members();
      const crawlids = all.map((m) => (JSON.parse(m) as { crawlid: string }).crawlid);
      const lost = lines.filter((l) => l.message === LOST);
      const back = lines.filter((l) => l.message === BACK);
      console.log(
        `[broker-outage] fed=1000 written=${all.length} distinct=${new Set(crawlids).size} ` +
          `duplicates=${all.length - new Set(crawlids).size} lost-logged=${lost.length} back-logged=${back.length} ` +
          `causes=${JSON.stringify(lost.map((l) => l.error))}`,
      );
      expect(all).toHaveLength(1000);
      expect(new Set(crawlids)).toEqual(new Set(Array.from({ length: 1000 }, (_, i) => `c${i}`)));
      // The 30 s outage is reported once when lost and once when back (the restart may add one pair).
      expect(lost.length).toBeGreaterThanOrEqual(1);
      expect(lost.length).toBeLessThanOrEqual(2);
      expect(back.length).toBe(lost.length);
      expect(lines.some((l) => l.message === 'Closing Kafka Monitor')).toBe(false);
    } finally {
      await monitor.close();
      await bus.close();
      await store.close();
    }
  },
);
