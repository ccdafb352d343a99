/**
 * `scrapy-cluster crawl` and `scrapy-cluster testweb` as a user runs them: child processes on the built
 * CLI (`npm test` builds first) against the bundled test web, no servers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'bin/scrapy-cluster.js');

function runCli(
  args: string[],
  options: { cwd: string; timeoutMs?: number },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    // The embedded in-memory cluster, whatever servers the test run has.
    const env: NodeJS.ProcessEnv = { ...process.env, CI: '1' };
    for (const name of ['REDIS_HOST', 'REDIS_PORT', 'KAFKA_HOSTS', 'ZOOKEEPER_HOSTS']) delete env[name];
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`crawl did not finish:\n${stdout}\n${stderr}`));
    }, options.timeoutMs ?? 90_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** A loopback port nothing listens on (free a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('scrapy-cluster crawl against `scrapy-cluster testweb`', () => {
  let web: ChildProcess;
  let port = 0;
  let dir = '';
  const settingsArgs = (): string[] => [
    '--set',
    'DNS_OVERRIDES={"*.test":"127.0.0.1"}',
    '--set',
    'ALLOWED_ADDRESSES=127.0.0.1/32',
    '--set',
    'QUEUE_HITS=50',
    '--set',
    'QUEUE_WINDOW=1',
  ];
  // 2 sites of 6 pages; from d0's home page, depth 1 reaches its own pages and d1's home page.
  const seed = (): string => `http://d0.test:${port}/`;

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist/cli/commands/crawl.js')))
      throw new Error('dist/ is missing or stale: run `npm run build` first (npm test does)');
    dir = mkdtempSync(join(tmpdir(), 'crawl-cli-'));
    web = spawn(process.execPath, [CLI, 'testweb', '--domains', '2', '--pages', '6'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const first = await new Promise<string>((r, reject) => {
      web.once('exit', (code) => reject(new Error(`testweb exited with ${code}`)));
      createInterface({ input: web.stdout! }).once('line', r);
    });
    port = (JSON.parse(first) as { port: number }).port;
  });

  afterAll(() => {
    web?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes JSON lines as it crawls and exits 0 when every request became a page', async () => {
    const { code, stderr } = await runCli(
      ['crawl', seed(), '--maxdepth', '1', ...settingsArgs(), '-o', 'out.jsonl'],
      { cwd: dir },
    );
    expect(code, stderr).toBe(0);
    const lines = readFileSync(join(dir, 'out.jsonl'), 'utf8').trim().split('\n');
    const results = lines.map((l) => JSON.parse(l) as { url: string; status_code: number; body: string });
    const urls = new Set(results.map((r) => r.url));
    expect(urls.size).toBe(results.length);
    expect(urls.has(seed())).toBe(true);
    expect(results.every((r) => r.status_code === 200 && r.body.includes('<html'))).toBe(true);
    // Depth 1: the home page's links, on d0 and d1, and nothing deeper than that.
    expect(results.length).toBeGreaterThan(2);
    expect(stderr).toMatch(new RegExp(`Crawled ${results.length} pages in [\\d.]+ s`));
    expect(stderr).not.toContain('\x1b['); // no terminal: no progress bar
    console.log(`crawl jsonl: ${results.length} pages`);
  });

  it('writes a JSON array and stays on the allowed domain, without bodies', async () => {
    const { code, stderr } = await runCli(
      [
        'crawl',
        seed(),
        '--maxdepth',
        '2',
        '--allowed-domain',
        'd0.test',
        '--no-body',
        ...settingsArgs(),
        '-o',
        'out.json',
      ],
      { cwd: dir },
    );
    expect(code, stderr).toBe(0);
    const results = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as Record<string, unknown>[];
    expect(results.length).toBeGreaterThan(1);
    expect(results.every((r) => new URL(String(r.url)).hostname === 'd0.test')).toBe(true);
    expect(results.every((r) => !('body' in r))).toBe(true);
  });

  it('writes CSV with a header, and fails with a summary by reason on an unreachable page', async () => {
    const dead = `http://127.0.0.1:${await closedPort()}/`;
    const { code, stderr } = await runCli(
      ['crawl', seed(), dead, ...settingsArgs(), '--set', 'RETRY_TIMES=0', '-o', 'out.csv'],
      { cwd: dir },
    );
    expect(code, stderr).toBe(1);
    expect(stderr).toMatch(/Crawled 1 page in/);
    expect(stderr).toMatch(/Failed: 1 request, by reason:\n {2}\S+: 1/);
    const csv = readFileSync(join(dir, 'out.csv'), 'utf8');
    expect(csv.split('\n')[0]).toBe(
      'url,response_url,status_code,status_msg,appid,crawlid,encoding,error_reason,error_message,body',
    );
    expect(csv).toContain(`\n${seed()},${seed()},200,`);
    expect(csv).toContain(`\n${dead},`);
  });

  it('warns about a misspelt setting with the closest name, and refuses an unwritable output', async () => {
    const { code, stderr } = await runCli(
      ['crawl', seed(), ...settingsArgs(), '--set', 'QUEUE_HIT=3', '-o', join(dir, 'missing', 'x.jsonl')],
      { cwd: dir },
    );
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^scrapy-cluster: cannot write --output .*missing\/x\.jsonl/);

    const ok = await runCli(['crawl', seed(), ...settingsArgs(), '--set', 'QUEUE_HIT=3'], { cwd: dir });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toContain('unknown setting QUEUE_HIT from --set (did you mean QUEUE_HITS?)');
    expect(JSON.parse(ok.stdout.trim().split('\n')[0]!)).toMatchObject({ url: seed() });
  });
});
