/**
 * The seed's Quick Start for the Redis Monitor (4.2) with our command names: `scrapy-cluster redis-monitor`
 * as a child process, a stats request fed through a Kafka Monitor, the reply on the outbound topic, and a
 * clean exit on Ctrl-C; plus the one-line error when Redis is unreachable. Settings reach the child as
 * environment variables; it works in its own Redis database and topic prefix.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KafkaBus, kafkaBrokerList } from '../../src/core/bus/index.js';
import { resolveSettings } from '../../src/settings.js';
import { connectStore } from '../../src/core/store/index.js';
import { KafkaMonitor } from '../../src/kafka-monitor/monitor.js';
import { captureLogger, waitFor } from '../support/capture-logger.js';
import { servicesEnv } from '../support/services.js';
import { killAll, spawnCli, type CliProcess } from '../support/cli-process.js';
import { TEST_REDIS_DBS } from '../support/redis-dbs.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RUNNER = fileURLToPath(new URL('../fixtures/redis-monitor-cli.ts', import.meta.url));
const DB = TEST_REDIS_DBS.redisMonitorCli;
const prefix = `rmcli${randomUUID().slice(0, 8)}`;

type Child = CliProcess;

const children: Child[] = [];
const cleanups: (() => Promise<void>)[] = [];
let producer: KafkaBus;

function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { REDIS_HOST, REDIS_PORT, KAFKA_HOSTS, ZOOKEEPER_HOSTS } = servicesEnv();
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    REDIS_HOST,
    REDIS_PORT: String(REDIS_PORT),
    REDIS_DB: String(DB),
    KAFKA_HOSTS,
    ZOOKEEPER_HOSTS,
    KAFKA_TOPIC_PREFIX: prefix,
    ZOOKEEPER_ASSIGN_PATH: `/${prefix}/crawler/`,
    ...extra,
  };
}

function start(args: string[], env: NodeJS.ProcessEnv): Child {
  return spawnCli(['--import', 'tsx', RUNNER, ...args], { cwd: REPO_ROOT, env, started: children });
}

beforeAll(async () => {
  producer = await KafkaBus.connect({
    brokers: kafkaBrokerList(servicesEnv().KAFKA_HOSTS),
    clientId: prefix,
  });
});

afterEach(async () => {
  await killAll(children);
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(async () => {
  await producer?.close();
});

describe('Redis Monitor Quick Start (seed 4.2)', () => {
  it('answers a kafka-monitor stats request fed through the Kafka Monitor, and stops cleanly on Ctrl-C', async () => {
    const { REDIS_HOST, REDIS_PORT, KAFKA_HOSTS } = servicesEnv();
    // Terminal 1: watch the outbound topic.
    const replies: Record<string, unknown>[] = [];
    const subscription = await producer.subscribe({
      topics: [`${prefix}.outbound_firehose`],
      fromBeginning: true,
      handler: async (messages) => {
        for (const m of messages) replies.push(JSON.parse(m.value) as Record<string, unknown>);
      },
    });
    cleanups.push(() => subscription.close());

    // A running Kafka Monitor (its own Quick Start is tested elsewhere).
    const settings = resolveSettings('kafka-monitor', {
      env: {},
      overrides: {
        REDIS_HOST,
        REDIS_PORT,
        REDIS_DB: DB,
        KAFKA_HOSTS,
        KAFKA_INCOMING_TOPIC: `${prefix}.incoming`,
        KAFKA_GROUP: `${prefix}-group`,
        STATS_DUMP: 0,
      },
    });
    const kmStore = await connectStore(settings, 'km');
    const kmBus = await KafkaBus.connect({ brokers: kafkaBrokerList(KAFKA_HOSTS), clientId: `${prefix}-km` });
    const km = await KafkaMonitor.create({
      settings,
      store: kmStore,
      bus: kmBus,
      logger: captureLogger().logger,
    });
    await km.start();
    cleanups.push(async () => {
      await km.close();
      await kmBus.close();
      await kmStore.close();
    });

    // Terminal 2: run the Redis Monitor.
    const monitor = start(['redis-monitor'], cliEnv());
    await waitFor(
      () => /Redis Monitor started/.test(monitor.stdout()),
      60_000,
      `the monitor to start: ${monitor.stderr()}`,
    );

    // Terminal 3: feed a stats request.
    await producer.send(`${prefix}.incoming`, [
      JSON.stringify({ stats: 'kafka-monitor', appid: 'testapp', uuid: 'myuuidhere' }),
    ]);
    await waitFor(() => replies.length > 0, 30_000, 'the reply');
    expect(replies[0]).toMatchObject({ stats: 'kafka-monitor', appid: 'testapp', uuid: 'myuuidhere' });
    expect(replies[0]!.total).toMatchObject({ lifetime: expect.any(Number) });
    await waitFor(() => /Sent stats to kafka/.test(monitor.stdout()), 10_000, 'the log line');
    expect(monitor.stdout()).toMatch(/Received kafka-monitor stats request/);

    monitor.process.kill('SIGINT');
    expect(await monitor.exited).toEqual({ code: 0, signal: null });
    expect(monitor.stdout()).toMatch(/Closing Redis Monitor/);
  });

  it('exits 1 with one line when Redis is unreachable', async () => {
    const child = start(
      ['redis-monitor'],
      cliEnv({ REDIS_HOST: '127.0.0.1', REDIS_PORT: '1', REDIS_SOCKET_TIMEOUT: '2' }),
    );
    const { code } = await child.exited;
    expect(code).toBe(1);
    const lines = child.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^scrapy-cluster: Failed to connect to Redis at 127\.0\.0\.1:1: /);
  });
});
