/**
 * What integration tests use to reach (and disturb) the real servers that the global setup provided.
 * The stop/start helpers act on the recorded processes through the state file, so they work from test
 * workers; they throw a ClusterError('SC_SERVICES') for a server that came from the environment.
 */
import { inject } from 'vitest';
import {
  serviceControl,
  type ServiceControl,
  type ServiceName,
  type ServicesEnv,
} from '../../scripts/services/stack.js';
import { readState } from '../../scripts/services/state.js';
import { ClusterError } from '../../src/core/errors.js';

export type { ServicesEnv, ServiceName };

export function servicesEnv(): ServicesEnv {
  return inject('services');
}

/** True when the harness started `name` itself, i.e. the stop/start helpers can act on it. */
export function canControl(name: ServiceName): boolean {
  const file = servicesEnv().SERVICES_STATE_FILE;
  return file !== undefined && readState(file)?.services[name] !== undefined;
}

function control(name: ServiceName): ServiceControl {
  const file = servicesEnv().SERVICES_STATE_FILE;
  if (file === undefined) {
    throw new ClusterError('SC_SERVICES', 'the services state file is unknown (did the global setup run?)');
  }
  return serviceControl(file, name);
}

/** Stops ZooKeeper (SIGTERM), keeps it down `downMs`, starts it again on the same port with the same data. */
export function restartZookeeper(options?: { downMs?: number }): Promise<void> {
  return control('zookeeper').restart(options);
}

export function stopZookeeper(): Promise<void> {
  return control('zookeeper').stop();
}

export function startZookeeper(): Promise<void> {
  return control('zookeeper').start();
}

/** Stops Redis; its port then refuses connections until startRedis(). */
export function stopRedis(): Promise<void> {
  return control('redis').stop();
}

/** Starts Redis again on the same port, reloading the data saved when it stopped, and waits for PING. */
export function startRedis(): Promise<void> {
  return control('redis').start();
}

export function restartRedis(options?: { downMs?: number }): Promise<void> {
  return control('redis').restart(options);
}
