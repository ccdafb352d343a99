import { mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClusterError } from '../../src/core/errors.js';
import type { LaunchSpec } from './process.js';
import { isRunning, sleep } from './process.js';

/** Connection settings for the three backing services, in the names the cluster's settings use. */
export interface ServicesEnv {
  REDIS_HOST: string;
  REDIS_PORT: number;
  KAFKA_HOSTS: string;
  ZOOKEEPER_HOSTS: string;
  /** State file of the harness-started stack; lets test workers stop/restart its servers. */
  SERVICES_STATE_FILE?: string;
}

export type ServiceName = 'redis' | 'zookeeper' | 'kafka';
export const SERVICE_NAMES: readonly ServiceName[] = ['redis', 'zookeeper', 'kafka'];

/** One server the harness started. */
export interface ServiceRecord {
  pid: number;
  port: number;
  /** Its private data directory (kept across restarts). */
  dataDir: string;
  /**
   * Text in its /proc command line that tells it from an unrelated process that reused the pid. For
   * Redis it is the port: redis-server rewrites its process title from `--port N` to `127.0.0.1:N`.
   */
  marker: string;
  launch: LaunchSpec;
}

export interface StackState {
  version: 1;
  /** 'test' stacks belong to a vitest run and are swept when that run died without teardown. */
  kind: 'cli' | 'test';
  ownerPid: number;
  startedAt: string;
  /** Temporary directory holding every data dir; removed on stop. */
  rootDir: string;
  env: ServicesEnv;
  /** Only the servers the harness started; env-provided ones are absent. */
  services: Partial<Record<ServiceName, ServiceRecord>>;
}

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const STATE_DIR = join(REPO_ROOT, '.services');
/** The CLI's stack; SERVICES_CLI_STATE_FILE moves it (the README test points it at the test servers). */
export const CLI_STATE_FILE = process.env.SERVICES_CLI_STATE_FILE || join(STATE_DIR, 'state.json');

export function readState(file: string): StackState | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const state = JSON.parse(text) as StackState;
    if (state.version !== 1) throw new Error(`unknown version ${String(state.version)}`);
    return state;
  } catch (err) {
    throw new ClusterError('SC_SERVICES', `state file ${file} is unreadable (${String(err)}); delete it`);
  }
}

/** Writes via rename so a reader in another process never sees half a file. */
export function writeState(file: string, state: StackState): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, file);
}

export function removeState(file: string): void {
  rmSync(file, { force: true });
}

/**
 * Serialises read-modify-write of a state file between processes (the setup process and test workers
 * may stop/start servers at the same time). A lock left by a dead process is taken over.
 */
export async function withStateLock<T>(file: string, fn: () => Promise<T>, timeoutMs = 120_000): Promise<T> {
  const lock = `${file}.lock`;
  mkdirSync(dirname(lock), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(lock, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readFileSafe(lock));
      if (holder > 0 && !pidAlive(holder)) rmSync(lock, { force: true });
      else if (Date.now() > deadline) throw new ClusterError('SC_SERVICES', `timed out waiting for ${lock}`);
      else await sleep(100);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

function readFileSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function pidAlive(pid: number): boolean {
  return isRunning(pid, '');
}

/**
 * The settings lines printed by the CLI: `export NAME=value`, so `eval "$(npm run -s services -- start)"`
 * hands them to every component later started from that shell (plain assignments would stay shell
 * variables, and the components would fall back to localhost).
 */
export function envLines(env: ServicesEnv): string[] {
  return [
    `export REDIS_HOST=${env.REDIS_HOST}`,
    `export REDIS_PORT=${env.REDIS_PORT}`,
    `export KAFKA_HOSTS=${env.KAFKA_HOSTS}`,
    `export ZOOKEEPER_HOSTS=${env.ZOOKEEPER_HOSTS}`,
  ];
}
