import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ClusterError } from '../../src/core/errors.js';
import { isRunning, killNow, launch, sleep, terminate } from './process.js';
import type { Log } from './provision.js';
import { waitManaged } from './readiness.js';
import {
  SERVICE_NAMES,
  STATE_DIR,
  readState,
  removeState,
  withStateLock,
  writeState,
  type ServiceName,
  type ServiceRecord,
  type StackState,
} from './state.js';

/** Stop/start of one server the harness started, on the same port and data dir. */
export interface ServiceControl {
  readonly name: ServiceName;
  /** False for an env-provided server; stop/start then throw ClusterError('SC_SERVICES'). */
  readonly managed: boolean;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** stop, wait `downMs` (default 0), start. */
  restart(options?: { downMs?: number }): Promise<void>;
}

/** Control of one recorded server through the state file, so it works from any process (e.g. a test worker). */
export function serviceControl(stateFile: string, name: ServiceName, managed = true): ServiceControl {
  const control: ServiceControl = {
    name,
    managed,
    stop: () => stopService(stateFile, name),
    start: () => startService(stateFile, name),
    restart: async (options) => {
      await control.stop();
      if (options?.downMs) await sleep(options.downMs);
      await control.start();
    },
  };
  return control;
}

/** SIGTERM (then SIGKILL) to the recorded server; its record, port and data dir stay for startService. */
export async function stopService(stateFile: string, name: ServiceName): Promise<void> {
  await withStateLock(stateFile, async () => {
    const rec = recordOf(stateFile, name);
    await terminate(rec.pid, rec.marker);
  });
}

/** Relaunches a stopped server with its recorded command line (same port, same data dir); no-op if running. */
export async function startService(stateFile: string, name: ServiceName, timeoutMs = 90_000): Promise<void> {
  await withStateLock(stateFile, async () => {
    const rec = recordOf(stateFile, name);
    if (!isRunning(rec.pid, rec.marker)) {
      rec.pid = await launch(rec.launch);
      const state = readState(stateFile)!;
      state.services[name] = rec;
      writeState(stateFile, state);
    }
    await waitManaged(name, rec, timeoutMs);
  });
}

/** Stops every recorded server (SIGTERM, then SIGKILL), removes the temporary data and the state file. */
export async function stopStack(stateFile: string): Promise<ServiceName[]> {
  return withStateLock(stateFile, async () => {
    const state = readState(stateFile);
    if (!state) return [];
    const names = SERVICE_NAMES.filter((name) => state.services[name] !== undefined);
    await Promise.all(
      names.map((name) => terminate(state.services[name]!.pid, state.services[name]!.marker)),
    );
    rmSync(state.rootDir, { recursive: true, force: true });
    removeState(stateFile);
    return names;
  });
}

/** The synchronous last resort for exit and signal handlers: SIGKILL, remove data, forget the stack. */
export function killStackSync(stateFile: string): void {
  let state: StackState | undefined;
  try {
    state = readState(stateFile);
  } catch {
    return;
  }
  if (!state) return;
  for (const rec of Object.values(state.services)) killNow(rec.pid, rec.marker);
  rmSync(state.rootDir, { recursive: true, force: true });
  removeState(stateFile);
}

export interface StackStatus {
  state: StackState;
  /** true/false for servers the harness started; 'env' for ones the environment provided. */
  alive: Record<ServiceName, boolean | 'env'>;
}

export function stackStatus(stateFile: string): StackStatus | undefined {
  const state = readState(stateFile);
  if (!state) return undefined;
  const alive = Object.fromEntries(
    SERVICE_NAMES.map((name) => {
      const rec = state.services[name];
      return [name, rec ? isRunning(rec.pid, rec.marker) : 'env'];
    }),
  ) as Record<ServiceName, boolean | 'env'>;
  return { state, alive };
}

/** Stops test stacks whose vitest process died without running its teardown (e.g. it was SIGKILLed). */
export async function sweepOrphans(log: Log): Promise<void> {
  let files: string[];
  try {
    files = readdirSync(STATE_DIR).filter((f) => /^stack-\d+\.json$/.test(f));
  } catch {
    return;
  }
  for (const file of files) {
    const path = join(STATE_DIR, file);
    try {
      const state = readState(path);
      if (state && state.kind === 'test' && !isRunning(state.ownerPid, '')) {
        log(`stopping servers left by an earlier test run (${file})`);
        await stopStack(path);
      }
    } catch {
      // unreadable or removed meanwhile: not ours to fix here
    }
  }
}

function recordOf(stateFile: string, name: ServiceName): ServiceRecord {
  const state = readState(stateFile);
  if (!state) throw new ClusterError('SC_SERVICES', `no services recorded in ${stateFile}`);
  const rec = state.services[name];
  if (!rec) {
    throw new ClusterError(
      'SC_SERVICES',
      `${name} was not started by the harness (it came from the environment)`,
    );
  }
  return rec;
}
