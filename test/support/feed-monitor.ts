import { randomUUID } from 'node:crypto';
import { KafkaBus, kafkaBrokerList } from '../../src/core/bus/index.js';
import { createLogger } from '../../src/core/logging/index.js';
import { resolveSettings } from '../../src/settings.js';
import { RedisStore } from '../../src/core/store/index.js';
import { KafkaMonitor } from '../../src/kafka-monitor/monitor.js';
import { servicesEnv } from './services.js';

/**
 * A Kafka Monitor on a private incoming topic of the real servers, for crawl tests: `feed` sends a crawl
 * request (appid `testapp`, a fresh crawlid, returned) the way a user would, through Kafka.
 */
export async function startFeedMonitor(name: string, overrides: Record<string, unknown> = {}) {
  const env = servicesEnv();
  const incoming = `${name}.incoming.${randomUUID().slice(0, 8)}`;
  const store = await RedisStore.connect({ host: env.REDIS_HOST, port: env.REDIS_PORT });
  const bus = await KafkaBus.connect({ brokers: kafkaBrokerList(env.KAFKA_HOSTS) });
  const settings = resolveSettings('kafka-monitor', {
    env: {},
    overrides: {
      KAFKA_INCOMING_TOPIC: incoming,
      KAFKA_GROUP: `g-${incoming}`,
      STATS_DUMP: 0,
      REDIS_PORT: env.REDIS_PORT,
      ...overrides,
    },
  });
  const logger = createLogger({ name: 'kafka-monitor', level: 'ERROR', destination: { write: () => true } });
  const monitor = await KafkaMonitor.create({ settings, store, bus, logger });
  await monitor.start();
  return {
    incoming,
    store,
    bus,
    monitor,
    async feed(request: Record<string, unknown>): Promise<string> {
      const crawlid = `c${randomUUID().slice(0, 8)}`;
      await bus.send(incoming, [JSON.stringify({ appid: 'testapp', crawlid, ...request })]);
      return crawlid;
    },
    async close() {
      await monitor.close();
      await bus.close();
      await store.close();
    },
  };
}
