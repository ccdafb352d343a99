/**
 * `scrapy-cluster demo` as a user runs it: a child process on the built CLI (`npm test` builds first),
 * without a terminal (CI output), exiting 0 with the steps and checks it promises.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

function runCli(
  args: string[],
  timeoutMs: number,
): Promise<{ code: number | null; output: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/scrapy-cluster.js'), ...args], {
      cwd: ROOT,
      env: { ...process.env, CI: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`demo did not finish in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, output, ms: Date.now() - started });
    });
  });
}

describe('scrapy-cluster demo', () => {
  it('crawls the local test web, shows every step and exits 0', { timeout: 150_000 }, async () => {
    if (!existsSync(join(ROOT, 'dist/cli/main.js')) || !existsSync(join(ROOT, 'dist/standalone/demo.js')))
      throw new Error('dist/ is missing or stale: run `npm run build` first (npm test does)');
    const { code, output, ms } = await runCli(['demo'], 140_000);
    expect(output, output).toContain('Demo OK.');
    expect(code, output).toBe(0);
    expect(ms).toBeLessThan(120_000);
    // No terminal: plain lines, no cursor control.
    expect(output).not.toContain('\x1b[');
    for (const expected of [
      /Throttle: +10 requests per 1 s window per domain/,
      /1\. Crawl http:\/\/d0\.test:\d+\/ to depth 2/,
      /crawl 1: \d+\/\d+ pages · [\d.]+ pages\/s · backlog/,
      /2\. Info request mid-crawl/,
      /✔ info reply received/,
      /✔ every reachable page published exactly once: (\d+)\/\1 pages, no duplicates/,
      /3\. Stats request/,
      /kafka-monitor: 1 node/,
      /✔ stats reply received/,
      /✔ domain-update applied by the crawler/,
      /5\. Stop crawl 2 after \d+ pages \(action stop\): total_purged [1-9]\d*/,
      /✔ no pages of the stopped crawl after it settled/,
      /pages per site: d0\.test \d+/,
      /failures: none/,
      /checks: 7\/7 passed/,
    ])
      expect(output).toMatch(expected);
  });

  it('refuses bad options with a one-line error', async () => {
    const { code, output } = await runCli(['demo', '--domains', '1'], 30_000);
    expect(code).toBe(1);
    expect(output.trim()).toBe('scrapy-cluster: --domains must be a whole number from 3 to 50');
  });
});
