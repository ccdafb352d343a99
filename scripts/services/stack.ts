import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterError, isClusterError } from '../../src/core/errors.js';
import { killStackSync, serviceControl, stopStack, sweepOrphans, type ServiceControl } from './control.js';
import { prepareKafka } from './kafka.js';
import { freePorts } from './ports.js';
import { launch, type LaunchSpec } from './process.js';
import { ensureDebianPackages, ensureKafkaJars, type Log } from './provision.js';
import { externalProbes, waitExternal, waitManaged } from './readiness.js';
import { redisLaunch } from './redis.js';
import {
  SERVICE_NAMES,
  STATE_DIR,
  writeState,
  type ServiceName,
  type ServicesEnv,
  type StackState,
} from './state.js';
import { zookeeperLaunch } from './zookeeper.js';

export type { ServiceControl } from './control.js';
export { serviceControl, stackStatus, stopStack, killStackSync } from './control.js';
export { envLines, type ServiceName, type ServicesEnv } from './state.js';

export interface StartOptions {
  /** Where pids, ports and command lines are recorded; default `.services/stack-<pid>.json`. */
  stateFile?: string;
  /** 'cli' stacks outlive their starter; 'test' stacks whose owner died are swept on the next start. */
  kind?: 'cli' | 'test';
  /** Where REDIS_HOST / REDIS_PORT / KAFKA_HOSTS / ZOOKEEPER_HOSTS are looked up; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Progress lines; default stderr. */
  log?: Log;
  /** How long a server the harness started may take to answer; default 90 s. */
  readyTimeoutMs?: number;
  /** How long an env-provided server may take to answer; default 20 s. */
  externalTimeoutMs?: number;
}

export interface ServicesHandle {
  env: ServicesEnv;
  stateFile: string;
  /** The servers this harness started (the rest came from the environment). */
  started: ServiceName[];
  redis: ServiceControl;
  zookeeper: ServiceControl;
  kafka: ServiceControl;
  restartZookeeper(options?: { downMs?: number }): Promise<void>;
  /** Stops every recorded server (re-reading the state file, so restarted ones too) and removes the data. */
  stop(): Promise<void>;
  /** Synchronous SIGKILL of every recorded server, for exit and signal handlers. */
  killSync(): void;
}

const defaultLog: Log = (line) => process.stderr.write(`[services] ${line}\n`);

/**
 * Starts whatever of Redis, ZooKeeper and Kafka the environment does not already provide, in parallel,
 * on free loopback ports with data in a fresh temporary directory, and waits until every server
 * (started or provided) answers. On failure everything started is stopped again.
 */
export async function startServices(options: StartOptions = {}): Promise<ServicesHandle> {
  const env = options.env ?? process.env;
  const log = options.log ?? defaultLog;
  const stateFile = options.stateFile ?? join(STATE_DIR, `stack-${process.pid}.json`);
  const readyMs = options.readyTimeoutMs ?? 90_000;
  const externalMs = options.externalTimeoutMs ?? 20_000;
  const began = Date.now();

  await sweepOrphans(log);
  const external = {
    redis: nonEmpty(env.REDIS_HOST),
    zookeeper: nonEmpty(env.ZOOKEEPER_HOSTS),
    kafka: nonEmpty(env.KAFKA_HOSTS),
  };
  const externalRedisPort = external.redis ? redisPortFrom(env.REDIS_PORT) : 0;
  await ensureDebianPackages(
    {
      redis: !external.redis,
      zookeeper: !external.zookeeper,
      java: !external.zookeeper || !external.kafka,
      maven: !external.kafka,
    },
    log,
  );

  const [redisPort, zkPort, kafkaPort, controllerPort] = (await freePorts(4)) as [
    number,
    number,
    number,
    number,
  ];
  const rootDir = mkdtempSync(join(tmpdir(), 'scrapy-cluster-services-'));
  const state: StackState = {
    version: 1,
    kind: options.kind ?? 'test',
    ownerPid: process.pid,
    startedAt: new Date().toISOString(),
    rootDir,
    env: {
      REDIS_HOST: external.redis ?? '127.0.0.1',
      REDIS_PORT: external.redis ? externalRedisPort : redisPort,
      KAFKA_HOSTS: external.kafka ?? `127.0.0.1:${kafkaPort}`,
      ZOOKEEPER_HOSTS: external.zookeeper ?? `127.0.0.1:${zkPort}`,
      SERVICES_STATE_FILE: stateFile,
    },
    services: {},
  };
  // Recorded before anything runs and after every launch, so a failed or interrupted start can be cleaned up.
  writeState(stateFile, state);

  const dataDir = (name: ServiceName): string => {
    const dir = join(rootDir, name);
    mkdirSync(dir, { recursive: true });
    return dir;
  };
  const run = async (name: ServiceName, port: number, spec: LaunchSpec, marker: string): Promise<void> => {
    const rec = { pid: await launch(spec), port, dataDir: spec.cwd, marker, launch: spec };
    state.services[name] = rec;
    writeState(stateFile, state);
    await waitManaged(name, rec, readyMs);
  };

  const results = await Promise.allSettled([
    external.redis
      ? waitExternal(externalProbes.redis(external.redis, externalRedisPort), externalMs)
      : (async () => run('redis', redisPort, redisLaunch(redisPort, dataDir('redis')), String(redisPort)))(),
    external.zookeeper
      ? waitExternal(externalProbes.zookeeper(external.zookeeper), externalMs)
      : (async () => {
          const dir = dataDir('zookeeper');
          await run('zookeeper', zkPort, zookeeperLaunch(zkPort, dir), dir);
        })(),
    external.kafka
      ? waitExternal(externalProbes.kafka(external.kafka), externalMs)
      : (async () => {
          const libs = await ensureKafkaJars(log);
          const dir = dataDir('kafka');
          await run('kafka', kafkaPort, await prepareKafka(libs, kafkaPort, controllerPort, dir), dir);
        })(),
  ]);

  const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (failures.length > 0) {
    await stopStack(stateFile);
    if (failures.length === 1 && isClusterError(failures[0])) throw failures[0];
    const messages = failures.map((f) => (f instanceof Error ? f.message : String(f)));
    // A ClusterError's message says it all; anything else is a bug whose stack is worth keeping.
    const bug = failures.find((f) => !isClusterError(f));
    throw new ClusterError(
      'SC_SERVICES',
      messages.join('\n'),
      bug === undefined ? undefined : { cause: bug },
    );
  }

  const started = SERVICE_NAMES.filter((name) => state.services[name] !== undefined);
  const seconds = ((Date.now() - began) / 1000).toFixed(1);
  log(
    started.length > 0
      ? `started ${started.join(', ')} in ${seconds} s`
      : `env servers answered in ${seconds} s`,
  );
  return handleFor(stateFile, state.env, started);
}

/** A handle over a recorded stack; `started` says which servers it may stop and start. */
export function handleFor(stateFile: string, env: ServicesEnv, started: ServiceName[]): ServicesHandle {
  const [redis, zookeeper, kafka] = SERVICE_NAMES.map((name) =>
    serviceControl(stateFile, name, started.includes(name)),
  ) as [ServiceControl, ServiceControl, ServiceControl];
  return {
    env,
    stateFile,
    started,
    redis,
    zookeeper,
    kafka,
    restartZookeeper: (options) => zookeeper.restart(options),
    stop: async () => {
      await stopStack(stateFile);
    },
    killSync: () => killStackSync(stateFile),
  };
}

function redisPortFrom(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return 6379;
  const port = Number(value);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new ClusterError('SC_SERVICES', `REDIS_PORT=${value} is not a port number`);
  }
  return port;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== '' ? value.trim() : undefined;
}
