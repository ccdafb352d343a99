/**
 * Global setup of the `integration` project: starts (or reuses, from REDIS_HOST / KAFKA_HOSTS /
 * ZOOKEEPER_HOSTS) real servers once per run and hands their settings to the tests.
 */
import type { TestProject } from 'vitest/node';
import { isClusterError } from '../../src/core/errors.js';
import { startServices, type ServicesEnv, type ServicesHandle } from '../../scripts/services/stack.js';

declare module 'vitest' {
  export interface ProvidedContext {
    services: ServicesEnv;
  }
}

/**
 * Several projects (integration, faults) name this setup; they share one stack per vitest process, so the
 * second does not mistake the first one's servers for servers given in the environment (which the tests
 * could then not stop and restart).
 */
const shared = globalThis as { scServices?: { handle: Promise<ServicesHandle>; users: number } };

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (shared.scServices) {
    const entry = shared.scServices;
    entry.users++;
    project.provide('services', (await entry.handle).env);
    return async () => {
      if (--entry.users > 0) return;
      shared.scServices = undefined;
      await (await entry.handle).stop();
    };
  }
  const entry = { handle: startServices({ kind: 'test' }), users: 1 };
  shared.scServices = entry;
  let handle: ServicesHandle;
  try {
    handle = await entry.handle;
  } catch (err) {
    shared.scServices = undefined;
    // The message names the server and the setting to fix; the harness's stack frames only hide it.
    if (isClusterError(err)) err.stack = `${err.name} [${err.code}]: ${err.message}`;
    throw err;
  }

  // Teardown does not run when the run is interrupted or crashes; kill what we started synchronously then.
  const onExit = (): void => handle.killSync();
  const onSignal = (signal: NodeJS.Signals): void => {
    handle.killSync();
    process.off(signal, onSignal);
    // Re-raise only if nobody else handles it, so vitest keeps its own shutdown behaviour.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  process.on('exit', onExit);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const { env } = handle;
  process.env.REDIS_HOST = env.REDIS_HOST;
  process.env.REDIS_PORT = String(env.REDIS_PORT);
  process.env.KAFKA_HOSTS = env.KAFKA_HOSTS;
  process.env.ZOOKEEPER_HOSTS = env.ZOOKEEPER_HOSTS;
  if (env.SERVICES_STATE_FILE) process.env.SERVICES_STATE_FILE = env.SERVICES_STATE_FILE;
  project.provide('services', env);

  const from = (name: 'redis' | 'zookeeper' | 'kafka'): string =>
    handle.started.includes(name) ? 'started' : 'env';
  console.log(
    `[services] real servers: Redis ${env.REDIS_HOST}:${env.REDIS_PORT} (${from('redis')}), ` +
      `ZooKeeper ${env.ZOOKEEPER_HOSTS} (${from('zookeeper')}), Kafka ${env.KAFKA_HOSTS} (${from('kafka')})`,
  );

  return async () => {
    // The last project to finish stops the servers.
    if (--entry.users > 0) return;
    shared.scServices = undefined;
    try {
      await handle.stop();
    } finally {
      process.off('exit', onExit);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  };
}
