/**
 * The published package as a user gets it: `npm pack` of the built tree, installed into an empty
 * directory from the registry (npm's cache first), then `npx scrapy-cluster --help` and the demo. Also
 * pins down which dependencies warn about engines on Node 20 (the README explains exactly these).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
/** The engine warnings the README explains; anything new must be explained there too. */
const KNOWN_ENGINE_WARNINGS = ['@platformatic/dynamic-buffer', '@platformatic/wasm-utils', 'cookie'];

function sh(
  command: string,
  args: string[],
  cwd: string,
  timeoutMs: number,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, CI: '1', npm_config_update_notifier: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

describe('npm package', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scrapy-cluster-pack-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('packs, installs into an empty directory and runs `npx scrapy-cluster` and the demo', async () => {
    if (!existsSync(join(ROOT, 'dist/cli/main.js')))
      throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
    // --ignore-scripts: the tree is built already; prepack would rebuild dist under the running tests.
    const pack = await sh('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], ROOT, 120_000);
    expect(pack.code, pack.stderr).toBe(0);
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
    expect(tarball).toBeDefined();
    // The tarball's own listing: npm's notice lines are silenced under `npm test --silent` (CI).
    const listing = await sh('tar', ['-tzf', join(dir, tarball!)], dir, 30_000);
    expect(listing.stdout).toMatch(/^package\/LICENSE$/m);
    expect(listing.stdout).toMatch(/^package\/dist\/cli\/main\.js$/m);

    const app = join(dir, 'app');
    rmSync(app, { recursive: true, force: true });
    await sh('mkdir', ['-p', app], dir, 5_000);
    writeFileSync(join(app, 'package.json'), '{"name": "app", "version": "1.0.0", "private": true}\n');
    const install = await sh(
      'npm',
      ['install', '--no-audit', '--no-fund', '--prefer-offline', join(dir, tarball!)],
      app,
      600_000,
    );
    expect(install.code, install.stderr).toBe(0);
    const warned = [...install.stderr.matchAll(/EBADENGINE +package: '(@?[^@']+)@/g)].map((m) => m[1]);
    expect(
      warned.filter((name) => !KNOWN_ENGINE_WARNINGS.includes(name!)),
      install.stderr,
    ).toEqual([]);

    const help = await sh('npx', ['--no-install', 'scrapy-cluster', '--help'], app, 60_000);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toContain("Command 'crawl'");

    const demo = await sh(
      'npx',
      ['--no-install', 'scrapy-cluster', 'demo', '--domains', '3', '--pages', '10'],
      app,
      180_000,
    );
    expect(demo.stdout, demo.stderr).toContain('Demo OK.');
    expect(demo.code).toBe(0);
    console.log(`package: ${tarball}, engine warnings from ${warned.join(', ') || 'none'}`);
  }, 900_000);
});
