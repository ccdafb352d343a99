/**
 * The README's shell blocks marked `<!-- readme-test -->`, run as written in a real bash against the
 * real servers, so the README cannot drift from the code again (it once set REDIS_HOST without
 * `export`, and every component started from that shell then looked for Redis on localhost).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { writeState } from '../../scripts/services/state.js';
import { servicesEnv } from '../support/services.js';
import { TEST_REDIS_DBS } from '../support/redis-dbs.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MARKER = '<!-- readme-test';

/** The ```bash / ```sh blocks that directly follow a marker comment, in order. */
export function markedBlocks(markdown: string): string[] {
  const blocks: string[] = [];
  const pattern = /<!-- readme-test[^>]*-->\s*\n```(?:bash|sh)\n([\s\S]*?)\n```/g;
  for (const match of markdown.matchAll(pattern)) blocks.push(match[1]!);
  return blocks;
}

interface ShellResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs `script` in bash in its own process group; the whole group is killed after `timeoutMs`. */
function runBash(script: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<ShellResult> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', script], {
      cwd: ROOT,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

describe('README', () => {
  const rootDir = mkdtempSync(join(tmpdir(), 'readme-test-'));
  afterAll(() => rmSync(rootDir, { recursive: true, force: true }));

  it('runs the marked blocks of docs/standalone.md (testweb and a one-shot crawl) as written', async () => {
    const blocks = markedBlocks(readFileSync(join(ROOT, 'docs/standalone.md'), 'utf8'));
    expect(blocks.length).toBeGreaterThanOrEqual(1);
    // Without servers in the environment: the embedded in-memory cluster, as on a fresh machine.
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of ['REDIS_HOST', 'REDIS_PORT', 'KAFKA_HOSTS', 'ZOOKEEPER_HOSTS']) delete env[name];
    const csv = join(ROOT, 'crawled.csv');
    try {
      const script = ['set -e', "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT", ...blocks].join('\n');
      const result = await runBash(script, env, 120_000);
      const output = `${result.stdout}\n${result.stderr}`;
      expect(result.timedOut, output).toBe(false);
      expect(result.code, output).toBe(0);
      expect(result.stdout.split('\n')[0]).toBe(
        'url,response_url,status_code,status_msg,appid,crawlid,encoding,error_reason,error_message',
      );
      expect(result.stderr).toMatch(/Crawled \d+ pages in/);
    } finally {
      rmSync(csv, { force: true });
    }
  }, 150_000);

  it('has marked shell blocks', () => {
    const blocks = markedBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'));
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    expect(blocks.join('\n')).toContain('services -- start');
  });

  it('runs its marked shell blocks as written against the real servers', async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain(MARKER);
    const blocks = markedBlocks(readme);

    // `services start` finds this "already running" stack (all servers env-provided, so `stop` only
    // forgets it) and prints the test run's servers, exactly as it prints a stack it started.
    const services = servicesEnv();
    const stateFile = join(rootDir, 'state.json');
    writeState(stateFile, {
      version: 1,
      kind: 'cli',
      ownerPid: process.pid,
      startedAt: new Date().toISOString(),
      rootDir: join(rootDir, 'data'),
      env: { ...services, SERVICES_STATE_FILE: stateFile },
      services: {},
    });

    // The shell gets none of the settings: they must come from the README's own commands.
    // A Redis database of its own, so the README's crawler never leases another test's requests.
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      SERVICES_CLI_STATE_FILE: stateFile,
      REDIS_DB: String(TEST_REDIS_DBS.readme),
    };
    for (const name of ['REDIS_HOST', 'REDIS_PORT', 'KAFKA_HOSTS', 'ZOOKEEPER_HOSTS', 'SERVICES_STATE_FILE'])
      delete env[name];
    const script = [
      'set -e',
      // Background components of the blocks end with the shell.
      "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT",
      ...blocks,
    ].join('\n');

    const result = await runBash(script, env, 150_000);
    const output = `${result.stdout}\n${result.stderr}`;
    expect(result.timedOut, output).toBe(false);
    expect(result.code, output).toBe(0);
    expect(output).not.toMatch(/Cannot reach Redis|Unable to connect to redis|Failed to connect to Redis/i);
    // The curl line's answer: the REST service's envelope for the stats request.
    expect(result.stdout, output).toMatch(/"status":\s*"SUCCESS"/);
    console.log(`README blocks: ${blocks.length} run, exit ${result.code}`);
  }, 180_000);
});
