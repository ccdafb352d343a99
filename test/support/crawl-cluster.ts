import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { KafkaBus, kafkaBrokerList, type BusMessage, type Subscription } from '../../src/core/bus/index.js';
import { createLogger, type Logger } from '../../src/core/logging/index.js';
import { resolveSettings } from '../../src/settings.js';
import { RedisStore } from '../../src/core/store/index.js';
import { Crawler } from '../../src/crawler/crawler.js';
import { LinkSpider, type SpiderClass } from '../../src/crawler/spider/index.js';
import type { TestWeb } from '../../src/testweb/index.js';
import { servicesEnv } from './services.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** A LinkSpider under a unique spider name, so each test has its own queues and throttle keys. */
export function uniqueLinkSpider(name = `lt${randomUUID().slice(0, 8)}`): SpiderClass {
  return class extends LinkSpider {
    static override readonly spiderName = name;
  };
}

/** Crawler settings pointing at the real servers and the test web, tuned for quick tests. */
export function crawlerSettings(
  web: TestWeb | { fetcherSettings(): object },
  prefix: string,
  overrides: Record<string, unknown> = {},
) {
  const env = servicesEnv();
  return {
    REDIS_HOST: env.REDIS_HOST,
    REDIS_PORT: env.REDIS_PORT,
    KAFKA_HOSTS: env.KAFKA_HOSTS,
    ZOOKEEPER_HOSTS: env.ZOOKEEPER_HOSTS,
    ZOOKEEPER_ID: prefix,
    KAFKA_TOPIC_PREFIX: prefix,
    QUEUE_HITS: 1000,
    QUEUE_WINDOW: 1,
    QUEUE_MODERATED: false,
    QUEUE_WINDOW_MARGIN: 0,
    SCHEDULER_QUEUE_REFRESH: 0.5,
    SCHEDULER_TYPE_ENABLED: false,
    SCHEDULER_IP_ENABLED: false,
    STATS_STATUS_CODES: false,
    LEASE_TIMEOUT: 60,
    KAFKA_PRODUCER_BATCH_LINGER_MS: 5,
    SC_LOG_LEVEL: 'WARNING',
    ...web.fetcherSettings(),
    ...overrides,
  };
}

export interface StartCrawlerOptions {
  /** Watch the ZooKeeper domain config node ZOOKEEPER_ASSIGN_PATH + ZOOKEEPER_ID (default false). */
  zookeeper?: boolean;
  /** The crawler's logger (default: one that discards everything). */
  logger?: Logger;
}

/** Starts an in-process crawler (in the Redis database REDIS_DB of the settings, 0 by default). */
export async function startCrawler(
  spider: SpiderClass,
  overrides: Record<string, unknown>,
  options: StartCrawlerOptions = {},
) {
  const settings = resolveSettings('crawler', { env: {}, overrides });
  const store = await RedisStore.connect({
    host: settings.REDIS_HOST,
    port: Number(settings.REDIS_PORT),
    db: settings.REDIS_DB,
  });
  const bus = await KafkaBus.connect({ brokers: kafkaBrokerList(settings.KAFKA_HOSTS) });
  const logger =
    options.logger ??
    createLogger({ name: 'sc-crawler', level: 'WARNING', destination: { write: () => true } });
  const zookeeper = options.zookeeper ?? false;
  const crawler = new Crawler({ settings, store, bus, logger, spider, zookeeper });
  await crawler.start();
  return {
    crawler,
    async stop() {
      await crawler.stop(5);
      await bus.close();
      await store.close();
    },
  };
}

/** Writes a spider file for child-process crawlers: a LinkSpider with the given name. */
export function spiderFile(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sc-spider-'));
  const file = join(dir, `${name}.mjs`);
  const spiderModule = pathToFileURL(join(ROOT, 'dist/crawler/spider/index.js')).href;
  writeFileSync(
    file,
    `import { LinkSpider } from '${spiderModule}';\nexport default class extends LinkSpider { static spiderName = '${name}'; }\n`,
  );
  return file;
}

/** Runs `scrapy-cluster crawler` as a separate process (needs `npm run build`). */
export function spawnCrawler(
  spider: string,
  settings: Record<string, unknown>,
  args: string[] = [],
): ChildProcess {
  const bin = join(ROOT, 'bin/scrapy-cluster.js');
  if (!existsSync(join(ROOT, 'dist/cli/main.js')))
    throw new Error('dist/ is missing: run `npm run build` first');
  const env: Record<string, string> = { ...(process.env as Record<string, string>) };
  for (const [k, v] of Object.entries(settings)) env[k] = typeof v === 'string' ? v : JSON.stringify(v);
  const child = spawn(process.execPath, [bin, 'crawler', '--spider', spider, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  Object.defineProperty(child, 'output', { get: () => output });
  return child;
}

/** Everything a spawnCrawler process wrote to stdout and stderr so far. */
export function crawlerOutput(child: ChildProcess): string {
  return (child as ChildProcess & { output: string }).output;
}

/** SIGTERM, then SIGKILL if the process has not exited within 20 s. */
export async function stopCrawlerProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** Collects the crawled messages of a topic prefix. */
export async function watchCrawled(prefix: string) {
  const bus = await KafkaBus.connect({ brokers: kafkaBrokerList(servicesEnv().KAFKA_HOSTS) });
  const pages: (Record<string, unknown> & { url: string; crawlid: string; status_code: number })[] = [];
  const sub: Subscription = await bus.subscribe({
    topics: [`${prefix}.crawled_firehose`],
    fromBeginning: true,
    handler: async (batch: BusMessage[]) => {
      for (const m of batch) pages.push(JSON.parse(m.value) as (typeof pages)[number]);
    },
  });
  await sub.ready;
  return {
    pages,
    urls: (crawlid?: string) => pages.filter((p) => !crawlid || p.crawlid === crawlid).map((p) => p.url),
    async close() {
      await sub.close();
      await bus.close();
    },
  };
}

export function crawlRequest(url: string, spiderid: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    url,
    appid: 'testapp',
    crawlid: `c${randomUUID().slice(0, 6)}`,
    spiderid,
    ...extra,
  });
}
