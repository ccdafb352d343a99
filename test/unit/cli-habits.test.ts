/**
 * The CLI habits users bring from Scrapy and other tools, on the built CLI (`npm test` builds first):
 * `--set`, level names in any case, per-command help, `settings` with sources, unknown-setting
 * warnings, ZOOKEEPER_HOSTS for `zookeeper push`, and one line instead of a stack trace.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'bin/scrapy-cluster.js');

function run(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['REDIS_HOST', 'REDIS_PORT', 'KAFKA_HOSTS', 'ZOOKEEPER_HOSTS', 'QUEUE_WINDOW'])
    delete base[name];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: { ...base, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

describe('CLI habits', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cli-habits-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('takes level names in any case', async () => {
    const lower = await run([
      'settings',
      '--component',
      'rest',
      '--log-level',
      'debug',
      '--get',
      'LOG_LEVEL',
    ]);
    expect(lower.stdout.trim()).toBe('"DEBUG"');
    const warn = await run(['settings', '--component', 'rest', '-ll', 'warn', '--get', 'LOG_LEVEL']);
    expect(warn.stdout.trim()).toBe('"WARNING"');
    const bad = await run(['settings', '--log-level', 'verbose']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('expected one of DEBUG, INFO, WARNING, ERROR, CRITICAL');
  });

  it('shows one command on `<command> --help` and every usage on `--help`', async () => {
    const one = await run(['crawl', '--help']);
    expect(one.stdout).toContain('Usage: scrapy-cluster crawl');
    expect(one.stdout).not.toContain("Command 'kafka-monitor run'");
    const all = await run(['--help']);
    expect(all.stdout).toContain("Command 'kafka-monitor run'");
    expect(all.stdout).toContain("Command 'crawl'");
    expect(all.stdout).toContain("Command 'settings'");
  });

  it('prints the effective settings with where each came from, --set winning over file and env', async () => {
    const file = join(dir, 'local.json');
    writeFileSync(file, JSON.stringify({ QUEUE_HITS: 3, QUEUE_WINDOW: 30, QUEUE_MODRATED: false }));
    const { code, stdout, stderr } = await run(
      ['settings', '--component', 'crawler', '-s', file, '--set', 'QUEUE_HITS=7', '--json'],
      { QUEUE_WINDOW: '5' },
    );
    expect(code, stderr).toBe(0);
    const crawler = (JSON.parse(stdout) as Record<string, Record<string, { value: unknown; source: string }>>)
      .crawler!;
    expect(crawler.QUEUE_HITS).toEqual({ value: 7, source: 'flag' });
    expect(crawler.QUEUE_WINDOW).toEqual({ value: 5, source: 'env' });
    expect(crawler.QUEUE_MODERATED).toEqual({ value: true, source: 'default' });
    expect(stderr).toContain(`unknown setting QUEUE_MODRATED in ${file} (did you mean QUEUE_MODERATED?)`);

    const text = await run(['settings', '--component', 'crawler', '-s', file]);
    expect(text.stdout).toMatch(/^QUEUE_WINDOW +file +30$/m);
    expect(text.stdout).toMatch(/^QUEUE_HITS +file +3$/m);

    const missing = await run(['settings', '--get', 'QUEUE_HIT']);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe('scrapy-cluster: no setting QUEUE_HIT (did you mean QUEUE_HITS?)');
  });

  it('zookeeper push connects to ZOOKEEPER_HOSTS when -z is not given', async () => {
    const file = join(dir, 'domains.yml');
    writeFileSync(file, 'domains: {}\n');
    const { code, stderr } = await run(['zookeeper', 'push', '-f', file, '-t', '1'], {
      ZOOKEEPER_HOSTS: '127.0.0.1:1',
    });
    expect(code).toBe(1);
    expect(stderr).toContain('Cannot reach ZooKeeper at 127.0.0.1:1');
  });

  it('says in one line that a port is in use, with exit code 1', async () => {
    const server: Server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    try {
      const { code, stderr } = await run(['testweb', '--port', String(port)]);
      expect(code).toBe(1);
      expect(stderr.trim()).toBe(
        `scrapy-cluster: port ${port} on 127.0.0.1 is already in use (another process listens there; pick another port)`,
      );
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('says in one line that standalone cannot write its --output, with exit code 1', async () => {
    const target = join(dir, 'missing', 'crawled.jsonl');
    const { code, stderr } = await run(['standalone', '-p', '0', '-o', target, '--log-level', 'critical']);
    expect(code).toBe(1);
    expect(stderr.trim()).toBe(
      `scrapy-cluster: cannot use ${target}: ENOENT: no such file or directory, open '${target}'`,
    );
  });
});
