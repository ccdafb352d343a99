/**
 * The seed's Rest Quick Start (5.2) with our command names, on the real broker and Redis: a local
 * settings file naming Redis and Kafka, `scrapy-cluster rest -s <file>` as a child process (the built
 * CLI in `dist/`, which `npm test` builds first), the index answered GREEN, and a stats request fed
 * through /feed answered with the cluster's stats, with the log lines the seed shows. The Kafka Monitor
 * and the Redis Monitor the guide assumes run in-process.
 *
 * The topic prefix is unique to this file and every component uses its own Redis database (CLI_DB).
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KafkaBus, kafkaBrokerList } from '../../src/core/bus/index.js';
import { resolveSettings } from '../../src/settings.js';
import { connectStore } from '../../src/core/store/index.js';
import { KafkaMonitor } from '../../src/kafka-monitor/monitor.js';
import { RedisMonitor } from '../../src/redis-monitor/index.js';
import { captureLogger, waitFor } from '../support/capture-logger.js';
import { servicesEnv } from '../support/services.js';
import { freePort, killAll, spawnCli, type CliProcess } from '../support/cli-process.js';
import { TEST_REDIS_DBS } from '../support/redis-dbs.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/scrapy-cluster.js', import.meta.url));
const CLI_DB = TEST_REDIS_DBS.restCli;
const id = `restcli${randomUUID().slice(0, 8)}`;
const prefix = id;

type Child = CliProcess;

const children: Child[] = [];
const stops: (() => Promise<void>)[] = [];
let dir: string;

function start(args: string[], env: NodeJS.ProcessEnv): Child {
  return spawnCli([BIN, ...args], { cwd: REPO_ROOT, env, started: children });
}

function waitForOutput(child: Child, pattern: RegExp, what: string, timeoutMs = 30_000): Promise<void> {
  return waitFor(
    () => pattern.test(child.stdout()),
    timeoutMs,
    `${what}; output so far:\n${child.stdout()}${child.stderr()}`,
  );
}

/** The Kafka Monitor and Redis Monitor the Quick Start assumes are running. */
async function startMonitors(): Promise<void> {
  const { REDIS_HOST, REDIS_PORT, KAFKA_HOSTS } = servicesEnv();
  const common = { REDIS_HOST, REDIS_PORT, REDIS_DB: CLI_DB, KAFKA_HOSTS, STATS_DUMP: 0 };
  const kmSettings = resolveSettings('kafka-monitor', {
    env: {},
    overrides: { ...common, KAFKA_INCOMING_TOPIC: `${prefix}.incoming`, KAFKA_GROUP: `${id}-km` },
  });
  const kmStore = await connectStore(kmSettings, 'kafka-monitor');
  const kmBus = await KafkaBus.connect({ brokers: kafkaBrokerList(KAFKA_HOSTS), clientId: `${id}-km` });
  const km = await KafkaMonitor.create({
    settings: kmSettings,
    store: kmStore,
    bus: kmBus,
    logger: captureLogger('kafka-monitor').logger,
  });
  await km.start();
  stops.push(async () => {
    await km.close();
    await kmBus.close();
    await kmStore.close();
  });

  const rmSettings = resolveSettings('redis-monitor', {
    env: {},
    overrides: {
      ...common,
      KAFKA_TOPIC_PREFIX: prefix,
      SLEEP_TIME: 0.1,
      PLUGINS: { ZookeeperMonitor: null },
    },
  });
  const rmStore = await connectStore(rmSettings, 'redis-monitor');
  const rmBus = await KafkaBus.connect({ brokers: kafkaBrokerList(KAFKA_HOSTS), clientId: `${id}-rm` });
  const rm = await RedisMonitor.create({
    settings: rmSettings,
    store: rmStore,
    bus: rmBus,
    logger: captureLogger('redis-monitor').logger,
  });
  rm.start();
  stops.push(async () => {
    await rm.close();
    await rmBus.close();
    await rmStore.close();
  });
}

beforeAll(async () => {
  if (!existsSync(fileURLToPath(new URL('../../dist/cli/commands/rest.js', import.meta.url))))
    throw new Error('dist/ is missing: run `npm run build` first (`npm test` builds before running vitest)');
  dir = mkdtempSync(join(tmpdir(), 'rest-cli-'));
  const { KAFKA_HOSTS } = servicesEnv();
  const admin = await KafkaBus.connect({ brokers: kafkaBrokerList(KAFKA_HOSTS), clientId: `${id}-admin` });
  await admin.createTopics([`${prefix}.incoming`, `${prefix}.outbound_firehose`]);
  await admin.close();
});

afterEach(async () => {
  await killAll(children);
  for (const stop of stops.splice(0).reverse()) await stop();
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('Rest Quick Start (seed 5.2)', () => {
  it('serves the index and answers a stats request fed through /feed', async () => {
    await startMonitors();

    // The local settings file of the guide: where Redis and Kafka are.
    const { REDIS_HOST, REDIS_PORT, KAFKA_HOSTS } = servicesEnv();
    const settingsFile = join(dir, 'localsettings.json');
    writeFileSync(settingsFile, JSON.stringify({ REDIS_HOST, REDIS_PORT, KAFKA_HOSTS }));
    const port = await freePort();

    // Terminal 1: run the rest service.
    const rest = start(['rest', '-s', settingsFile], {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      REDIS_DB: String(CLI_DB),
      FLASK_PORT: String(port),
      REST_BIND: '127.0.0.1',
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_PRODUCER_TOPIC: `${prefix}.incoming`,
      WAIT_FOR_RESPONSE_TIME: '30',
    });
    await waitForOutput(rest, /Rest service listening/, 'the service to listen');
    const base = `http://127.0.0.1:${port}`;

    // Terminal 2: curl the basic endpoint until both connections are up.
    let health: Record<string, unknown> = {};
    await waitFor(
      async () => {
        health = (await (await fetch(base)).json()) as Record<string, unknown>;
        return health.node_health === 'GREEN';
      },
      30_000,
      `GREEN; output so far:\n${rest.stdout()}${rest.stderr()}`,
    );
    expect(Object.keys(health)).toEqual([
      'kafka_connected',
      'my_id',
      'node_health',
      'redis_connected',
      'uptime_sec',
    ]);
    expect(health).toMatchObject({ kafka_connected: true, redis_connected: true });
    expect(health.my_id).toMatch(/^[0-9a-f]{12}$/);
    await waitForOutput(rest, /\[rest-service\] INFO: 'index' endpoint called/, 'the index log line');

    // Feed a request: a stats request, answered with the cluster's stats.
    const uuid = `abc${id}`;
    const res = await fetch(`${base}/feed`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ uuid, appid: 'stuff' }),
    });
    await waitForOutput(rest, /\[rest-service\] INFO: 'feed' endpoint called/, 'the feed log line');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: Record<string, unknown>; error: unknown; status: string };
    expect(body.status).toBe('SUCCESS');
    expect(body.error).toBeNull();
    expect(body.data).toMatchObject({ uuid, appid: 'stuff', stats: 'all' });
    expect(Object.keys(body.data)).toEqual(
      expect.arrayContaining(['kafka-monitor', 'redis-monitor', 'crawler', 'rest', 'server_time']),
    );

    // Ctrl-C ends the service cleanly.
    rest.process.kill('SIGINT');
    const { code, signal } = await rest.exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(rest.stdout()).toContain('Closing Rest service');
  });
});
