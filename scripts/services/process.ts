import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { ClusterError } from '../../src/core/errors.js';

/** How to (re)launch one server; stored in the state file so any process can restart it identically. */
export interface LaunchSpec {
  command: string;
  args: string[];
  cwd: string;
  /** stdout and stderr are appended here. */
  logFile: string;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts a server detached in its own process group with output to its log file, so it outlives the
 * process that started it (the CLI exits; a test worker restarting ZooKeeper may exit) and is stopped
 * only by pid.
 */
export async function launch(spec: LaunchSpec): Promise<number> {
  const out = openSync(spec.logFile, 'a');
  try {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      detached: true,
      stdio: ['ignore', out, out],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (err) =>
        reject(new ClusterError('SC_SERVICES', `cannot run ${spec.command}: ${err.message}`, { cause: err })),
      );
    });
    child.unref();
    if (child.pid === undefined)
      throw new ClusterError('SC_SERVICES', `${spec.command} started without a pid`);
    return child.pid;
  } finally {
    closeSync(out);
  }
}

/**
 * True while `pid` is a live process whose command line contains `marker` (a path unique to this stack),
 * so a recycled pid is never mistaken for one of ours. Zombies count as dead.
 */
export function isRunning(pid: number, marker: string): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false; // ESRCH, or EPERM: someone else's process, so not ours either
  }
  const proc = `/proc/${pid}`;
  if (!existsSync(proc)) return true; // no procfs (macOS): trust kill(0)
  try {
    const stat = readFileSync(`${proc}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return false;
    return readFileSync(`${proc}/cmdline`, 'utf8').includes(marker);
  } catch {
    return false; // exited between the checks
  }
}

/** SIGTERM, then SIGKILL if the process is still there after `graceMs`; resolves once it is gone. */
export async function terminate(pid: number, marker: string, graceMs = 10_000): Promise<void> {
  if (!isRunning(pid, marker)) return;
  signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isRunning(pid, marker)) return;
    await sleep(50);
  }
  signal(pid, 'SIGKILL');
  for (let i = 0; i < 100 && isRunning(pid, marker); i += 1) await sleep(50);
}

/** Synchronous SIGKILL for exit/signal handlers, where nothing asynchronous runs any more. */
export function killNow(pid: number, marker: string): void {
  if (isRunning(pid, marker)) signal(pid, 'SIGKILL');
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** Last lines of a log file, for error messages when a server dies or never answers. */
export function logTail(file: string, lines = 15): string {
  try {
    const text = readFileSync(file, 'utf8').trimEnd();
    return text.split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
