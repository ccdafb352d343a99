import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** A command-line process under test, with what it printed so far. */
export interface CliProcess {
  process: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns `node <argv...>` collecting its output; `started` records it for cleanup with `killAll`. */
export function spawnCli(
  argv: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; started?: CliProcess[] },
): CliProcess {
  const child = spawn(process.execPath, argv, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  const entry = { process: child, stdout: () => out, stderr: () => err, exited };
  options.started?.push(entry);
  return entry;
}

/** Kills what is still running of `started` (and forgets it). */
export async function killAll(started: CliProcess[]): Promise<void> {
  for (const child of started.splice(0)) {
    if (child.process.exitCode === null && child.process.signalCode === null) {
      child.process.kill('SIGKILL');
      await child.exited;
    }
  }
}

/** A loopback port that was free a moment ago (nothing listens on it now). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
