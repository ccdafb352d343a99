/**
 * `scrapy-cluster crawl` on the real servers: with REDIS_HOST / KAFKA_HOSTS / ZOOKEEPER_HOSTS set, the
 * one-shot crawl runs its components on Redis, Kafka and ZooKeeper instead of in memory.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestWeb, type TestWeb } from '../../src/testweb/index.js';
import { servicesEnv } from '../support/services.js';

const ROOT = resolve(import.meta.dirname, '../..');

describe('scrapy-cluster crawl on the real servers', () => {
  let web: TestWeb;
  const dir = mkdtempSync(join(tmpdir(), 'crawl-real-'));
  beforeAll(async () => {
    web = await startTestWeb({ domains: 2, pagesPerDomain: 8, record: false });
  });
  afterAll(async () => {
    await web.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('crawls to depth 1 and exits 0 with every page written', async () => {
    const services = servicesEnv();
    const seed = web.url(0, '/');
    const expected = web.reachablePages(seed, { maxDepth: 1 });
    const out = join(dir, 'pages.jsonl');
    const args = [
      join(ROOT, 'bin/scrapy-cluster.js'),
      'crawl',
      seed,
      '--maxdepth',
      '1',
      '--set',
      'DNS_OVERRIDES={"*.test":"127.0.0.1"}',
      '--set',
      'ALLOWED_ADDRESSES=127.0.0.1/32',
      '--set',
      'QUEUE_HITS=50',
      '--set',
      'QUEUE_WINDOW=1',
      '--no-body',
      '-o',
      out,
    ];
    const result = await new Promise<{ code: number | null; stderr: string }>((resolvePromise) => {
      const child = spawn(process.execPath, args, {
        cwd: dir,
        env: {
          ...process.env,
          REDIS_HOST: services.REDIS_HOST,
          REDIS_PORT: String(services.REDIS_PORT),
          KAFKA_HOSTS: services.KAFKA_HOSTS,
          ZOOKEEPER_HOSTS: services.ZOOKEEPER_HOSTS,
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
      child.once('close', (code) => {
        clearTimeout(timer);
        resolvePromise({ code, stderr });
      });
    });
    expect(result.code, result.stderr).toBe(0);
    const urls = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { url: string }).url);
    expect(new Set(urls)).toEqual(new Set(expected.keys()));
    expect(urls).toHaveLength(expected.size);
    console.log(`crawl on real servers: ${urls.length} pages`);
  }, 180_000);
});
