import { fork, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { LinkGraph } from './graph.js';
import { resolveOptions, type TestWebOptions } from './options.js';
import type { RecordedRequest } from './request-log.js';

/** A test web running in a child process: the graph and URLs, without the request log. */
export interface TestWebProcess {
  readonly port: number;
  readonly graph: LinkGraph;
  readonly pid: number;
  url(domainIndex: number, path?: string): string;
  allPageUrls(): string[];
  fetcherSettings(): { DNS_OVERRIDES: Record<string, string>; ALLOWED_ADDRESSES: string[] };
  /** The child's request log (start it with `record: true`). */
  requests(): Promise<RecordedRequest[]>;
  close(): Promise<void>;
}

/**
 * Starts the test web in a child process (requests are recorded there only with `record: true`). From the TypeScript sources the
 * child runs under tsx (a dev dependency); from the build it is plain JavaScript.
 */
export async function spawnTestWeb(options: TestWebOptions = {}): Promise<TestWebProcess> {
  const self = fileURLToPath(import.meta.url);
  const entry = self.replace(/process\.(ts|js)$/, 'main.$1');
  const needsTsx = entry.endsWith('.ts') && !process.execArgv.some((arg) => arg.includes('tsx'));
  const child = fork(entry, [JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    execArgv: needsTsx ? ['--import', 'tsx'] : process.execArgv,
  });
  const port = await readPort(child);
  const graph = new LinkGraph(resolveOptions(options), port);
  return {
    port,
    graph,
    pid: child.pid ?? 0,
    url: (d, path = '/') => graph.origin(d) + path,
    allPageUrls: () => graph.allPageUrls(),
    fetcherSettings: () => ({
      DNS_OVERRIDES: { '*.test': '127.0.0.1' },
      ALLOWED_ADDRESSES: ['127.0.0.1/32'],
    }),
    requests: () =>
      new Promise<RecordedRequest[]>((resolve, reject) => {
        const onMessage = (message: unknown) => {
          child.off('exit', onExit);
          resolve((message as { requests: RecordedRequest[] }).requests);
        };
        const onExit = () => reject(new Error('test web process exited'));
        child.once('message', onMessage);
        child.once('exit', onExit);
        child.send('requests');
      }),
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function readPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    if (!child.stdout) return reject(new Error('test web process has no stdout'));
    const lines = createInterface({ input: child.stdout });
    const onExit = (code: number | null) => reject(new Error(`test web process exited with ${code}`));
    child.once('exit', onExit);
    lines.once('line', (line) => {
      child.off('exit', onExit);
      lines.close();
      try {
        resolve((JSON.parse(line) as { port: number }).port);
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  });
}
