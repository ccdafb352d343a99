/**
 * Crawler throughput (issue 5, part 8): pages per second that one in-process crawler publishes to Kafka,
 * beside a baseline measured in the same run on the same test web.
 *
 *   npx tsx bench/crawler/run.ts [--pages 50000] [--domains 100] [--scale-domains 10,10000]
 *                                [--scale-pages N] [--page-bytes 0] [--log-level WARNING] [--no-info]
 *                                [--no-scale] [--no-baseline] [--no-robots] [--seeds one|per-domain]
 *                                [--cpu-prof-dir DIR] [--phase-seconds 180] [--max-seconds 840]
 *
 * Per configuration (the main one, then each --scale-domains entry with --scale-pages pages in total):
 *   - the test web runs in its own process (its CPU is not charged to the crawler); the first
 *     configuration starts with a short warm-up crawl that is not reported;
 *   - baseline: a bare loop, CONCURRENT_REQUESTS workers, undici `request` through one Agent with
 *     CONCURRENT_REQUESTS_PER_DOMAIN connections per origin, htmlparser2 collecting `<a>`/`<area>` hrefs
 *     resolved against `<base href>` into a Set; no Redis, no Kafka, no robots.txt; every page of the
 *     site once, domains interleaved;
 *   - crawler: one seed (the home page of the first site) pushed into `<spiderid>:<domain>:queue` as the
 *     Kafka Monitor writes it, maxdepth high enough that the whole site is reached (checked against the
 *     link graph first), then a real Crawler (Redis frontier, robots.txt obeyed, response-code stats on,
 *     Kafka pipeline, real broker) with the throttle wide open discovers and publishes every page. Timed
 *     from its first lease to the acknowledgement that completes the site; then the crawled topic is read
 *     back: exactly one message per page, and `crawlstats` must count them all.
 *     (`--seeds per-domain` seeds every home page under one crawl id instead; a home page linked before
 *     its own seed was leased is then crawled twice, because a seed's fingerprint is recorded only when it
 *     is leased.)
 * The main configuration is also crawled at INFO, the per-page "Scraped page" / "Sent page to Kafka" lines
 * formatted and written to /dev/null, and the Kafka pipeline alone is timed at INFO and WARNING.
 *
 * Printed per run: pages/s, CPU seconds of this process, the test web, Redis and Kafka, event-loop
 * busy share, HTTP connections opened, Redis commands per page (INFO commandstats, commands run inside
 * scripts included) and store round trips per page.
 *
 * Uses REDIS_HOST / REDIS_PORT / KAFKA_HOSTS when set, otherwise starts the service harness's servers and
 * stops them at the end. Every phase has a timeout and the whole run has --max-seconds. Exits 1 when a
 * crawl timed out or Kafka did not hold exactly one message per page.
 */
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Session } from 'node:inspector/promises';
import { performance as perf } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { subscribe } from 'node:diagnostics_channel';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Parser } from 'htmlparser2';
import { Agent, request } from 'undici';
import { startServices, type ServicesHandle } from '../../scripts/services/stack.js';
import { readState } from '../../scripts/services/state.js';
import { KafkaBus, kafkaBrokerList, type Bus, type BusMessage } from '../../src/core/bus/index.js';
import { createLogger } from '../../src/core/logging/index.js';
import { priorityPush } from '../../src/core/queues/index.js';
import { resolveSettings } from '../../src/settings.js';
import { connectStore, type Store } from '../../src/core/store/index.js';
import { Crawler } from '../../src/crawler/crawler.js';
import type { Lease } from '../../src/crawler/frontier/frontier.js';
import type { CrawlResult as PublishedItem } from '../../src/crawler/pipeline/item.js';
import { KafkaPipeline } from '../../src/crawler/pipeline/kafka-pipeline.js';
import { KafkaMonitor } from '../../src/kafka-monitor/monitor.js';
import { LinkSpider, type SpiderClass } from '../../src/crawler/spider/index.js';
import { spawnTestWeb, type LinkGraph, type TestWebProcess } from '../../src/testweb/index.js';

const { values: args } = parseArgs({
  options: {
    pages: { type: 'string', default: '50000' },
    domains: { type: 'string', default: '100' },
    'scale-domains': { type: 'string', default: '10,10000' },
    'scale-pages': { type: 'string' },
    'page-bytes': { type: 'string', default: '0' },
    // The large-page workload (issue: ~30 KB pages with ~40 links each), crawled after the main one.
    'big-pages': { type: 'string', default: '10000' },
    'big-page-bytes': { type: 'string', default: '30000' },
    'big-links': { type: 'string', default: '38' },
    'no-big': { type: 'boolean', default: false },
    'no-deploy': { type: 'boolean', default: false },
    /** Keep the deployed processes' INFO logs in a temporary directory (printed) instead of /dev/null. */
    'deploy-logs': { type: 'boolean', default: false },
    /** NODE_OPTIONS for the deployed processes (e.g. V8 heap flags), to see what bounds their memory. */
    'deploy-node-options': { type: 'string' },
    'latency-crawls': { type: 'string', default: '40' },
    'log-level': { type: 'string', default: 'WARNING' },
    concurrency: { type: 'string', default: '16' },
    'per-domain': { type: 'string', default: '8' },
    'no-info': { type: 'boolean', default: false },
    'no-scale': { type: 'boolean', default: false },
    'no-baseline': { type: 'boolean', default: false },
    seeds: { type: 'string', default: 'one' },
    'cpu-prof-dir': { type: 'string' },
    'no-robots': { type: 'boolean', default: false },
    'phase-seconds': { type: 'string', default: '180' },
    'max-seconds': { type: 'string', default: '840' },
  },
});
const PAGES = Number(args.pages);
const DOMAINS = Number(args.domains);
const SCALE_PAGES = Number(args['scale-pages'] ?? PAGES);
const SCALE_DOMAINS = args['no-scale'] ? [] : args['scale-domains'].split(',').filter(Boolean).map(Number);
const PAGE_BYTES = Number(args['page-bytes']);
const BIG = {
  pages: Number(args['big-pages']),
  bytes: Number(args['big-page-bytes']),
  links: Number(args['big-links']),
};
const LATENCY_CRAWLS = Number(args['latency-crawls']);
const CONCURRENCY = Number(args.concurrency);
const PER_DOMAIN = Number(args['per-domain']);
const PHASE_MS = Number(args['phase-seconds']) * 1000;
const RUN = randomUUID().slice(0, 6);
if (args.seeds !== 'one' && args.seeds !== 'per-domain') throw new Error('--seeds is one or per-domain');

const began = performance.now();
/** HTTP connections undici opened in this process (the baseline's and the crawler's). */
let connections = 0;
subscribe('undici:client:connected', () => {
  connections++;
});
const log = (line: string) =>
  process.stderr.write(`[bench ${((performance.now() - began) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
const signed = (n: number) => `${n >= 0 ? '+' : ''}${n.toFixed(0)}`;
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits });

/** Things to undo at the end, newest first, also when the run is cut short. */
const cleanups: (() => Promise<unknown>)[] = [];
async function cleanUp(): Promise<void> {
  while (cleanups.length > 0) await cleanups.pop()!().catch((err: unknown) => log(`cleanup: ${String(err)}`));
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms / 1000} s`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------------------------------------------------
// CPU accounting: where the two cores went during a phase.

/** user + system CPU seconds of a process, from /proc (0 when unreadable). */
function procCpu(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

interface RedisCounters {
  cpu: number;
  calls: number;
  scripts: number;
  /** Per command (commands run inside scripts included): calls and µs Redis spent in them. */
  commands: Map<string, { calls: number; usec: number }>;
  /** Bytes Redis received and sent. */
  netIn: number;
  netOut: number;
}

async function redisCounters(store: Store): Promise<RedisCounters> {
  const info = String(await store.call('INFO', 'all'));
  const num = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  let calls = 0;
  let scripts = 0;
  const commands = new Map<string, { calls: number; usec: number }>();
  for (const m of info.matchAll(/^cmdstat_([a-z|_-]+):calls=(\d+),usec=(\d+)/gm)) {
    calls += Number(m[2]);
    if (m[1] === 'evalsha' || m[1] === 'eval') scripts += Number(m[2]);
    commands.set(m[1]!, { calls: Number(m[2]), usec: Number(m[3]) });
  }
  return {
    cpu: num('used_cpu_user') + num('used_cpu_sys'),
    calls,
    scripts,
    commands,
    netIn: num('total_net_input_bytes'),
    netOut: num('total_net_output_bytes'),
  };
}

interface CpuSnapshot {
  wall: number;
  connections: number;
  elu: ReturnType<typeof perf.eventLoopUtilization>;
  node: NodeJS.CpuUsage;
  web: number;
  kafka: number;
  redis: RedisCounters;
}

interface CpuReport {
  node: number;
  web: number;
  kafka: number;
  redis: number;
  redisCalls: number;
  redisScripts: number;
  /** Per command: calls and µs since the start snapshot (an EVALSHA's µs include its commands'). */
  redisCommands: Map<string, { calls: number; usec: number }>;
  redisNetIn: number;
  redisNetOut: number;
  /** Share of the wall time the bench process's event loop was busy. */
  loopBusy: number;
  connections: number;
}

class CpuMeter {
  constructor(
    private readonly store: Store,
    private readonly webPid: number,
    private readonly kafkaPid: number | undefined,
  ) {}

  async snapshot(): Promise<CpuSnapshot> {
    return {
      wall: performance.now(),
      connections,
      elu: perf.eventLoopUtilization(),
      node: process.cpuUsage(),
      web: procCpu(this.webPid),
      kafka: procCpu(this.kafkaPid),
      redis: await redisCounters(this.store),
    };
  }

  async since(start: CpuSnapshot): Promise<CpuReport> {
    const now = await this.snapshot();
    const node = process.cpuUsage(start.node);
    return {
      node: (node.user + node.system) / 1e6,
      web: now.web - start.web,
      kafka: now.kafka - start.kafka,
      redis: now.redis.cpu - start.redis.cpu,
      // Minus the INFO call of the second snapshot.
      redisCalls: now.redis.calls - start.redis.calls - 1,
      redisScripts: now.redis.scripts - start.redis.scripts,
      redisNetIn: now.redis.netIn - start.redis.netIn,
      redisNetOut: now.redis.netOut - start.redis.netOut,
      redisCommands: new Map(
        [...now.redis.commands].map(([name, c]) => {
          const before = start.redis.commands.get(name) ?? { calls: 0, usec: 0 };
          return [name, { calls: c.calls - before.calls, usec: c.usec - before.usec }];
        }),
      ),
      loopBusy: perf.eventLoopUtilization(now.elu, start.elu).utilization,
      connections: now.connections - start.connections,
    };
  }
}

function cpuLine(cpu: CpuReport, seconds: number, pages: number): string {
  const part = (name: string, s: number) => `${name} ${s.toFixed(1)} s`;
  return (
    `CPU over ${seconds.toFixed(1)} s wall (${(seconds * cpus().length).toFixed(0)} core-s): ` +
    [
      part('bench process', cpu.node),
      part('test web', cpu.web),
      part('Redis', cpu.redis),
      ...(cpu.kafka > 0 ? [part('Kafka', cpu.kafka)] : []),
    ].join(', ') +
    `; bench process ${((cpu.node / pages) * 1e6).toFixed(0)} µs/page, event loop busy ${(cpu.loopBusy * 100).toFixed(0)}%, ` +
    `${fmt(cpu.connections)} HTTP connections opened`
  );
}

// ---------------------------------------------------------------------------------------------------------
// The test web and its expected crawl.

/** Same-site order interleaved across sites (d0 p0, d1 p0, ..., d0 p1, ...), so load spreads over origins. */
function interleavedPages(graph: LinkGraph, domains: number, perDomain: number): string[] {
  const urls: string[] = [];
  for (let p = 0; p < perDomain; p++) for (let d = 0; d < domains; d++) urls.push(graph.pageUrl(d, p));
  return urls;
}

/** Pages reachable from the seeds (home pages of the first `seeds` sites), breadth first, and the depth needed. */
function reachable(graph: LinkGraph, seeds: number): { pages: Set<string>; depth: number } {
  const seen = new Set<string>();
  let level: { domain: number; page: number }[] = [];
  for (let d = 0; d < seeds; d++) {
    seen.add(graph.pageUrl(d, 0));
    level.push({ domain: d, page: 0 });
  }
  let depth = 0;
  while (level.length > 0) {
    const next: typeof level = [];
    for (const { domain, page } of level) {
      for (const link of graph.links(domain, page)) {
        if (!link.page) continue;
        const url = graph.pageUrl(link.page.domain, link.page.page);
        if (seen.has(url)) continue;
        seen.add(url);
        next.push(link.page);
      }
    }
    if (next.length > 0) depth++;
    level = next;
  }
  return { pages: seen, depth };
}

// ---------------------------------------------------------------------------------------------------------
// Baseline: undici + htmlparser2, nothing else.

const BASELINE_HEADERS = {
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'accept-language': 'en',
  'accept-encoding': 'gzip,deflate,br',
  'user-agent': 'Scrapy/1.5.0 (+https://scrapy.org)',
};

function pageLinks(html: string, pageUrl: string, into: Set<string>): number {
  const hrefs: string[] = [];
  let base = pageUrl;
  const parser = new Parser({
    onopentag(name, attribs) {
      if ((name === 'a' || name === 'area') && attribs.href !== undefined) hrefs.push(attribs.href);
      else if (name === 'base' && attribs.href !== undefined) base = new URL(attribs.href, pageUrl).href;
    },
  });
  parser.end(html);
  let n = 0;
  for (const href of hrefs) {
    let url: URL;
    try {
      url = new URL(href, base);
    } catch {
      continue;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') continue;
    url.hash = '';
    into.add(url.href);
    n++;
  }
  return n;
}

async function runBaseline(urls: string[]): Promise<{ seconds: number; links: number; unique: number }> {
  const agent = new Agent({
    connections: PER_DOMAIN,
    pipelining: 1,
    connect: {
      lookup: (_host, opts, cb) =>
        opts.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4),
    },
  });
  const seen = new Set<string>();
  let links = 0;
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < urls.length) {
      const url = urls[next++]!;
      const res = await request(url, { dispatcher: agent, headers: BASELINE_HEADERS });
      const html = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`baseline: ${url} answered ${res.statusCode}`);
      links += pageLinks(html, url, seen);
    }
  };
  try {
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  } finally {
    await agent.close();
  }
  return { seconds: (performance.now() - started) / 1000, links, unique: seen.size };
}

// ---------------------------------------------------------------------------------------------------------
// The crawl.

interface Servers {
  REDIS_HOST: string;
  REDIS_PORT: number;
  KAFKA_HOSTS: string;
  /** For the processes of the deployed run (ZooKeeper domain config); in-process crawlers do without. */
  ZOOKEEPER_HOSTS?: string;
}

interface CrawlResult {
  label: string;
  expected: number;
  acked: number;
  seconds: number;
  rate: number;
  timedOut: boolean;
  published: number;
  kafkaMessages: number;
  kafkaUnique: number;
  kafkaMissing: number;
  non200: number;
  leaseCalls: number;
  storeCalls: number;
  /** Script calls the crawler sent, by script name. */
  scripts: Map<string, number>;
  /** ERROR lines the crawler logged. */
  errorLines: number;
  cpu: CpuReport;
  rss: RssReport;
}

interface RssReport {
  /** Highest RSS sampled during the crawl, MB. */
  peak: number;
  /** Median of the samples of the second half of the crawl, MB. */
  steady: number;
  /** At the end of the crawl: V8 heap used / committed, and memory outside the heap (buffers, WASM), MB. */
  heapUsed?: number;
  /** The heap still used after a full garbage collection: what the crawler holds, MB. */
  liveHeap?: number;
  heapTotal?: number;
  external?: number;
}

/** Samples this process's RSS every 200 ms until stopped. */
function rssSampler(): { stop: () => RssReport } {
  const samples: number[] = [];
  const take = () => samples.push(process.memoryUsage.rss() / 2 ** 20);
  take();
  const timer = setInterval(take, 200);
  return {
    stop: () => {
      clearInterval(timer);
      take();
      const late = samples.slice(Math.floor(samples.length / 2)).sort((a, b) => a - b);
      const m = process.memoryUsage();
      // A full collection (gc exposed at run time) tells what is held from what V8 has not collected yet.
      setFlagsFromString('--expose-gc');
      (runInNewContext('gc') as () => void)();
      const liveHeap = process.memoryUsage().heapUsed / 2 ** 20;
      return {
        liveHeap,
        peak: Math.max(...samples),
        steady: late[Math.floor(late.length / 2)] ?? 0,
        heapUsed: m.heapUsed / 2 ** 20,
        heapTotal: m.heapTotal / 2 ** 20,
        external: m.external / 2 ** 20,
      };
    },
  };
}

/** Counts the store calls the crawler makes (each one a round trip; a pipeline counts once). */
function countingStore(store: Store, counter: { calls: number; scripts: Map<string, number> }): Store {
  const script = (a: unknown[]) => {
    const name = (a[0] as { name?: string } | undefined)?.name ?? '?';
    counter.scripts.set(name, (counter.scripts.get(name) ?? 0) + 1);
  };
  const wrapPipeline = (pipe: object): object => {
    const proxy: object = new Proxy(pipe, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target) as unknown;
        if (typeof value !== 'function') return value;
        if (prop === 'exec') {
          return (...a: unknown[]) => {
            counter.calls++;
            return (value as (...x: unknown[]) => unknown).apply(target, a);
          };
        }
        return (...a: unknown[]) => {
          if (prop === 'run') script(a);
          const out = (value as (...x: unknown[]) => unknown).apply(target, a);
          return out === target ? proxy : out;
        };
      },
    });
    return proxy;
  };
  return new Proxy(store, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== 'function') return value;
      if (prop === 'pipeline') return () => wrapPipeline((value as () => object).call(target));
      return (...a: unknown[]) => {
        counter.calls++;
        if (prop === 'run') script(a);
        return (value as (...x: unknown[]) => unknown).apply(target, a);
      };
    },
  });
}

async function deleteKeys(store: Store, pattern: string): Promise<void> {
  for await (const keys of store.scan(pattern, 1000)) if (keys.length > 0) await store.del(...keys);
}

async function crawl(options: {
  label: string;
  servers: Servers;
  web: TestWebProcess;
  seeds: number;
  expected: Set<string>;
  maxdepth: number;
  logLevel: string;
  meter: CpuMeter;
  store: Store;
}): Promise<CrawlResult> {
  const { servers, web, store, expected } = options;
  const spiderName = `bench${RUN}${options.label.replace(/[^a-z0-9]/gi, '')}`;
  const prefix = `bench-crawler-${RUN}-${spiderName}`;
  const topic = `${prefix}.crawled_firehose`;
  const crawlid = `c${spiderName}`;
  const appid = 'benchapp';
  const spider: SpiderClass = class extends LinkSpider {
    static override readonly spiderName = spiderName;
  };

  const settings = resolveSettings('crawler', {
    env: {},
    overrides: {
      ...servers,
      KAFKA_TOPIC_PREFIX: prefix,
      QUEUE_HITS: 100_000_000,
      QUEUE_WINDOW: 1,
      QUEUE_MODERATED: false,
      SCHEDULER_TYPE_ENABLED: false,
      SCHEDULER_IP_ENABLED: false,
      CONCURRENT_REQUESTS: CONCURRENCY,
      CONCURRENT_REQUESTS_PER_DOMAIN: PER_DOMAIN,
      SC_LOG_LEVEL: options.logLevel,
      ROBOTSTXT_OBEY: !args['no-robots'],
      ...web.fetcherSettings(),
    },
  });
  const bus = await KafkaBus.connect({ brokers: kafkaBrokerList(servers.KAFKA_HOSTS), clientId: spiderName });
  await bus.createTopics([topic], 1);
  const crawlerStore = await connectStore(servers, `bench-${spiderName}`);
  const devNull = openSync('/dev/null', 'w');
  // Error lines are counted: a crawl that retries pages (a failed Kafka produce returns the request to its
  // queue) still ends with every page once, but pays for each retry.
  let errorLines = 0;
  const logger = createLogger({
    name: 'sc-crawler',
    level: options.logLevel,
    destination: {
      write: (line: string) => {
        if (line.includes('] ERROR: ')) errorLines++;
        writeSync(devNull, line);
      },
    },
  });
  const counter = { calls: 0, scripts: new Map<string, number>() };
  const crawler = new Crawler({
    settings,
    store: countingStore(crawlerStore, counter),
    bus,
    logger,
    spider,
    zookeeper: false,
  });

  // Seeds, as the Kafka Monitor writes them: flat feed objects with the schema's defaults.
  const ts = Date.now() / 1000;
  for (let from = 0; from < options.seeds; from += 1000) {
    const pipe = store.pipeline();
    for (let d = from; d < Math.min(options.seeds, from + 1000); d++) {
      const member = {
        url: web.url(d, '/'),
        appid,
        crawlid,
        spiderid: spiderName,
        priority: 1,
        maxdepth: options.maxdepth,
        domain_max_pages: null,
        allowed_domains: null,
        allow_regex: null,
        deny_regex: null,
        deny_extensions: null,
        expires: 0,
        useragent: null,
        cookie: null,
        attrs: null,
        ts,
      };
      pipe.run(priorityPush, [`${spiderName}:d${d}.test:queue`], [1, JSON.stringify(member)]);
    }
    await pipe.exec();
  }

  // First lease and last acknowledgement, seen from the crawler's own frontier.
  const frontier = crawler.frontier;
  let firstLease = 0;
  let lastAck = 0;
  let acked = 0;
  const ackedUrls = new Set<string>();
  let leaseCalls = 0;
  let progressAt = performance.now();
  let finished!: () => void;
  const allAcked = new Promise<void>((resolve) => (finished = resolve));
  const lease = frontier.lease.bind(frontier);
  frontier.lease = async (...a: Parameters<typeof lease>) => {
    const leases = await lease(...a);
    leaseCalls++;
    if (leases.length > 0 && firstLease === 0) firstLease = performance.now();
    return leases;
  };
  const ack = frontier.ack.bind(frontier);
  frontier.ack = async (l: Lease, outcome: 'published' | 'failed' | null) => {
    const held = await ack(l, outcome);
    if (outcome !== null) {
      acked++;
      ackedUrls.add(l.request.url);
      progressAt = performance.now();
      if (ackedUrls.size === expected.size) {
        lastAck = progressAt;
        finished();
      }
    }
    return held;
  };

  const profiler = args['cpu-prof-dir'] ? new Session() : undefined;
  if (profiler) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  }
  const cpuStart = await options.meter.snapshot();
  const rssMeter = rssSampler();
  const callsStart = counter.calls;
  await crawler.start();
  let timedOut = false;
  const deadline = performance.now() + PHASE_MS;
  const ticker = setInterval(() => {
    log(`  ${options.label}: ${fmt(acked)} / ${fmt(expected.size)} pages`);
  }, 10_000);
  try {
    for (;;) {
      const done = await Promise.race([
        allAcked.then(() => true),
        new Promise<false>((r) => setTimeout(() => r(false), 1000)),
      ]);
      if (done) break;
      const now = performance.now();
      if (now > deadline || now - progressAt > 30_000) {
        timedOut = true;
        lastAck = progressAt;
        log(`  ${options.label}: ${now > deadline ? 'phase timeout' : 'no progress for 30 s'}, stopping`);
        break;
      }
    }
  } finally {
    clearInterval(ticker);
  }
  const cpu = await options.meter.since(cpuStart);
  const rss = rssMeter.stop();
  const storeCalls = counter.calls - callsStart;
  if (profiler) {
    const { profile } = await profiler.post('Profiler.stop');
    mkdirSync(args['cpu-prof-dir']!, { recursive: true });
    const file = join(args['cpu-prof-dir']!, `crawl-${options.label}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    profiler.disconnect();
    log(`  ${options.label}: CPU profile in ${file}`);
  }
  await withTimeout(crawler.stop(5), 30_000, 'crawler stop');
  await bus.close();
  await crawlerStore.close();
  logger.close();

  const seconds = ((lastAck || performance.now()) - firstLease) / 1000;
  const published = Number(
    (await store.hget(`crawlstats:${spiderName}:${appid}:${crawlid}`, 'published')) ?? 0,
  );

  // Every page on Kafka, once.
  log(`  ${options.label}: reading ${topic} back`);
  const check = await readTopic(servers, topic, expected, spiderName);

  await deleteKeys(store, `${spiderName}:*`);
  await deleteKeys(store, `crawlstats:${spiderName}:*`);
  await deleteKeys(store, `stats:crawler:*:${spiderName}:*`);
  await deleteKeys(store, `d*.test:throttle_*`);
  return {
    label: options.label,
    expected: expected.size,
    acked,
    seconds,
    rate: ackedUrls.size / seconds,
    timedOut,
    published,
    ...check,
    leaseCalls,
    storeCalls,
    scripts: counter.scripts,
    errorLines,
    cpu,
    rss,
  };
}

async function readTopic(servers: Servers, topic: string, expected: Set<string>, clientId: string) {
  const bus = await KafkaBus.connect({
    brokers: kafkaBrokerList(servers.KAFKA_HOSTS),
    clientId: `${clientId}-check`,
  });
  const urls = new Set<string>();
  let messages = 0;
  let non200 = 0;
  let quietSince = performance.now();
  const sub = await bus.subscribe({
    topics: [topic],
    fromBeginning: true,
    maxBatch: 2000,
    handler: async (batch: BusMessage[]) => {
      for (const m of batch) {
        const page = JSON.parse(m.value) as { url: string; status_code: number };
        messages++;
        urls.add(page.url);
        if (page.status_code !== 200) non200++;
      }
      quietSince = performance.now();
    },
  });
  const deadline = performance.now() + 90_000;
  while (performance.now() < deadline) {
    if (messages >= expected.size && performance.now() - quietSince > 1500) break;
    if (performance.now() - quietSince > 15_000) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  await sub.close();
  await bus.close();
  let missing = 0;
  for (const url of expected) if (!urls.has(url)) missing++;
  return { kafkaMessages: messages, kafkaUnique: urls.size, kafkaMissing: missing, non200 };
}

// ---------------------------------------------------------------------------------------------------------

interface Workload {
  name: string;
  pageBytes: number;
  /** Same-site links per page (2 cross-site links come on top). */
  links: number;
}

interface ConfigResult {
  workload: string;
  domains: number;
  pages: number;
  baseline?: { rate: number; seconds: number; cpu: CpuReport };
  crawls: CrawlResult[];
  deployed?: DeployResult;
}

async function runConfig(
  servers: Servers,
  store: Store,
  kafkaPid: number | undefined,
  domains: number,
  totalPages: number,
  first: boolean,
  workload: Workload,
): Promise<ConfigResult> {
  const perDomain = Math.max(1, Math.round(totalPages / domains));
  log(`test web: ${fmt(domains)} domains × ${fmt(perDomain)} pages, ${workload.name} workload`);
  const web = await withTimeout(
    spawnTestWeb({
      domains,
      pagesPerDomain: perDomain,
      pageBytes: workload.pageBytes,
      linksPerPage: workload.links,
      record: false,
    }),
    30_000,
    'test web start',
  );
  cleanups.push(() => web.close());
  const meter = new CpuMeter(store, web.pid, kafkaPid);
  const seeds = args.seeds === 'one' ? 1 : domains;
  const { pages: expected, depth } = reachable(web.graph, seeds);
  const all = web.allPageUrls();
  if (expected.size !== all.length) log(`  only ${expected.size} of ${all.length} pages are reachable`);
  log(`  ${fmt(expected.size)} pages reachable from ${fmt(seeds)} seed(s), ${depth} links deep at most`);
  const result: ConfigResult = { workload: workload.name, domains, pages: all.length, crawls: [] };

  if (first) {
    // A short crawl first, so neither side pays for compiling the hot paths in its measured run.
    const seed = web.url(0, '/');
    const warm = new Set(web.graph.reachablePages(seed, { maxDepth: 3 }).keys());
    log(`  warm-up crawl (${fmt(warm.size)} pages, not reported)`);
    await crawl({
      label: 'warmup',
      servers,
      web,
      seeds: 1,
      expected: warm,
      maxdepth: 3,
      logLevel: 'WARNING',
      meter,
      store,
    });
  }

  if (!args['no-baseline']) {
    log('  baseline (undici + htmlparser2)');
    const start = await meter.snapshot();
    const b = await withTimeout(
      runBaseline(interleavedPages(web.graph, domains, perDomain)),
      PHASE_MS,
      'baseline',
    );
    const cpu = await meter.since(start);
    result.baseline = { rate: all.length / b.seconds, seconds: b.seconds, cpu };
    log(`  baseline: ${fmt(result.baseline.rate)} pages/s (${fmt(b.links)} links, ${fmt(b.unique)} unique)`);
  }

  const withInfo = first && workload.name === 'main' && !args['no-info'];
  const levels = [args['log-level'], ...(withInfo && args['log-level'] !== 'INFO' ? ['INFO'] : [])];
  for (const level of levels) {
    const label = `${workload.name === 'main' ? '' : `${workload.name}-`}${domains}d-${level.toLowerCase()}`;
    log(`  crawl ${label}`);
    const r = await crawl({
      label,
      servers,
      web,
      seeds,
      expected,
      maxdepth: depth + 10,
      logLevel: level,
      meter,
      store,
    });
    result.crawls.push(r);
    log(`  crawl ${label}: ${fmt(r.rate)} pages/s${r.timedOut ? ' (TIMED OUT)' : ''}`);
  }
  // The deployment figure goes with the large-page workload (or the main one when that is skipped).
  if (!args['no-deploy'] && (workload.name !== 'main' || (args['no-big'] && first))) {
    const label = `deployed-${workload.name}-${domains}d`;
    log(`  ${label}: Kafka Monitor and crawler as processes, INFO logging`);
    // The Kafka Monitor's schema caps maxdepth at 3 (as the original's): the deployed crawl covers what one
    // seed reaches in 3 links, which the link graph tells exactly.
    const maxdepth = Math.min(depth, 3);
    const reach = new Set(web.graph.reachablePages(web.url(0, '/'), { maxDepth: maxdepth }).keys());
    log(`  ${label}: ${fmt(reach.size)} pages within ${maxdepth} links of the seed`);
    result.deployed = await deployedCrawl({ label, servers, web, expected: reach, maxdepth, store, meter });
  }
  await cleanups.pop()!();
  return result;
}

/**
 * What the per-page INFO lines cost: the Kafka pipeline publishing the same page N times to a bus that
 * accepts at once, at INFO and at WARNING, lines written to /dev/null. Returns the extra CPU µs per page.
 */
async function measureLogCost(): Promise<{ text: number; json: number }> {
  const links = Array.from({ length: 12 }, (_, i) => ({
    url: `http://d3.test:8080/page/${i * 7}`,
    text: `Page ${i * 7}`,
  }));
  const item: PublishedItem = {
    appid: 'benchapp',
    crawlid: 'cbench',
    url: 'http://d3.test:8080/page/17',
    response_url: 'http://d3.test:8080/page/17',
    status_code: 200,
    status_msg: 'OK',
    response_headers: {
      'Content-Type': ['text/html; charset=utf-8'],
      'Content-Length': ['1180'],
      Date: [new Date().toUTCString()],
      Connection: ['keep-alive'],
      'Keep-Alive': ['timeout=10'],
    },
    request_headers: {
      Accept: ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'],
      'Accept-Language': ['en'],
      'User-Agent': ['Scrapy/1.5.0 (+https://scrapy.org)'],
      'Accept-Encoding': ['gzip,deflate,br'],
    },
    body: Buffer.from(
      `<html><body>${links.map((l) => `<a href="${l.url}">${l.text}</a>`).join('')}</body></html>`,
    ),
    links,
    attrs: null,
    encoding: 'utf-8',
  };
  const bus = { kind: 'memory', send: async () => undefined } as unknown as Bus;
  const devNull = openSync('/dev/null', 'w');
  const cpuPerPage = async (level: string, json: boolean) => {
    const logger = createLogger({
      name: 'sc-crawler',
      level,
      json,
      destination: { write: (line: string) => writeSync(devNull, line) },
    });
    const pipeline = new KafkaPipeline({
      bus,
      logger,
      topicPrefix: 'bench',
      appidTopics: false,
      base64: false,
      lingerMs: 1000,
      spiderid: 'link',
      maxBatch: 1_000_000,
    });
    const publishAll = async (n: number) => {
      for (let done = 0; done < n; done += 500) {
        const sent = Array.from({ length: 500 }, () => pipeline.publish(item));
        await pipeline.flush();
        await Promise.all(sent);
      }
    };
    await publishAll(2000);
    const n = 20_000;
    const start = process.cpuUsage();
    await publishAll(n);
    const used = process.cpuUsage(start);
    logger.close();
    return (used.user + used.system) / n;
  };
  const best = async (level: string, json: boolean) =>
    Math.min(await cpuPerPage(level, json), await cpuPerPage(level, json));
  const quiet = await best('WARNING', false);
  return { text: (await best('INFO', false)) - quiet, json: (await best('INFO', true)) - quiet };
}

// ---------------------------------------------------------------------------------------------------------
// As deployed: a Kafka Monitor and a crawler as processes of their own (`node bin/scrapy-cluster.js`).

interface DeployResult {
  label: string;
  expected: number;
  published: number;
  seconds: number;
  rate: number;
  timedOut: boolean;
  crawlerCpu: number;
  monitorCpu: number;
  redisCpu: number;
  redisScripts: number;
  crawler: RssReport;
  monitor: RssReport;
  kafkaMessages: number;
  kafkaUnique: number;
  kafkaMissing: number;
}

/** VmRSS (and VmHWM, the peak the kernel saw) of a process in MB, 0 when unreadable. */
function procMemory(pid: number | undefined): { rss: number; hwm: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
  } catch {
    return { rss: 0, hwm: 0 };
  }
}

/** Samples a child's RSS every 200 ms; the peak is the kernel's high-water mark. */
function childRssSampler(pid: number | undefined): { stop: () => RssReport } {
  const samples: number[] = [];
  let peak = 0;
  const take = () => {
    const m = procMemory(pid);
    if (m.rss > 0) samples.push(m.rss);
    peak = Math.max(peak, m.hwm, m.rss);
  };
  take();
  const timer = setInterval(take, 200);
  return {
    stop: () => {
      clearInterval(timer);
      take();
      const late = samples.slice(Math.floor(samples.length / 2)).sort((a, b) => a - b);
      return { peak, steady: late[Math.floor(late.length / 2)] ?? 0 };
    },
  };
}

/**
 * The same site crawled by a Kafka Monitor and a crawler running as their own processes from the build
 * (as a user deploys them), both logging at INFO to /dev/null, the crawl fed as a request on the incoming
 * topic. Timed from the produce call until `crawlstats` counts every page; CPU and RSS from /proc.
 */
async function deployedCrawl(options: {
  label: string;
  servers: Servers;
  web: TestWebProcess;
  expected: Set<string>;
  maxdepth: number;
  store: Store;
  meter: CpuMeter;
}): Promise<DeployResult | undefined> {
  const { servers, web, store, expected } = options;
  const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
  if (!existsSync(join(root, 'dist/cli/main.js'))) {
    log('  deployed run skipped: dist/ is missing (npm run build)');
    return undefined;
  }
  const spiderName = `benchdep${RUN}${options.label.replace(/[^a-z0-9]/gi, '')}`;
  const prefix = `bench-deploy-${RUN}-${options.label.replace(/[^a-z0-9]/gi, '')}`;
  const crawlid = `c${spiderName}`;
  const appid = 'benchapp';
  const dir = mkdtempSync(join(tmpdir(), 'bench-deploy-'));
  const spiderFile = join(dir, 'spider.mjs');
  const spiderModule = pathToFileURL(join(root, 'dist/crawler/spider/index.js')).href;
  writeFileSync(
    spiderFile,
    `import { LinkSpider } from '${spiderModule}';\nexport default class extends LinkSpider { static spiderName = '${spiderName}'; }\n`,
  );
  const settings: Record<string, unknown> = {
    ...servers,
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_INCOMING_TOPIC: `${prefix}.incoming`,
    KAFKA_GROUP: `${prefix}-group`,
    // A fresh topic and group: the request may be produced before the monitor owns the partition.
    KAFKA_CONSUMER_AUTO_OFFSET_RESET: 'earliest',
    LOG_LEVEL: 'INFO',
    SC_LOG_LEVEL: 'INFO',
    QUEUE_HITS: 100_000_000,
    QUEUE_WINDOW: 1,
    QUEUE_MODERATED: false,
    SCHEDULER_TYPE_ENABLED: false,
    SCHEDULER_IP_ENABLED: false,
    CONCURRENT_REQUESTS: CONCURRENCY,
    CONCURRENT_REQUESTS_PER_DOMAIN: PER_DOMAIN,
    ROBOTSTXT_OBEY: !args['no-robots'],
    ...web.fetcherSettings(),
  };
  const env: Record<string, string> = { ...(process.env as Record<string, string>) };
  for (const [k, v] of Object.entries(settings)) env[k] = typeof v === 'string' ? v : JSON.stringify(v);
  const bus = await KafkaBus.connect({
    brokers: kafkaBrokerList(servers.KAFKA_HOSTS),
    clientId: `${prefix}-f`,
  });
  await bus.createTopics([`${prefix}.incoming`, `${prefix}.crawled_firehose`], 1);
  const devNull = openSync('/dev/null', 'w');
  const bin = join(root, 'bin/scrapy-cluster.js');
  const start = (argv: string[]) => {
    const out = args['deploy-logs'] ? openSync(join(dir, `${argv[0]!}.log`), 'w') : devNull;
    const child = spawn(process.execPath, [bin, ...argv], {
      env: { ...env, ...(args['deploy-node-options'] ? { NODE_OPTIONS: args['deploy-node-options'] } : {}) },
      stdio: ['ignore', out, 'pipe'],
    });
    let errors = '';
    child.stderr?.on('data', (d: Buffer) => (errors = (errors + d.toString()).slice(-4000)));
    cleanups.push(async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    return { child, errors: () => errors };
  };
  if (args['deploy-logs']) log(`  ${options.label}: logs in ${dir}`);
  const monitor = start(['kafka-monitor', 'run']);
  const crawler = start(['crawler', '--spider', spiderFile, '--grace-seconds', '2']);
  // Both ready: their heartbeat keys are written once they run.
  const ready = async (pattern: string) => {
    for (const deadline = performance.now() + 60_000; performance.now() < deadline;) {
      for await (const keys of store.scan(pattern, 1000)) if (keys.length > 0) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`deployed run: no heartbeat ${pattern}; ${monitor.errors()} ${crawler.errors()}`);
  };
  await ready(`stats:kafka-monitor:self:*`);
  await ready(`stats:crawler:*:${spiderName}:*`);
  await new Promise((r) => setTimeout(r, 1000));

  const cpu = (pid: number | undefined) => procCpu(pid);
  const c0 = {
    crawler: cpu(crawler.child.pid),
    monitor: cpu(monitor.child.pid),
    redis: await redisCounters(store),
  };
  const crawlerRss = childRssSampler(crawler.child.pid);
  const monitorRss = childRssSampler(monitor.child.pid);
  const fed = performance.now();
  const request = { url: web.url(0, '/'), appid, crawlid, spiderid: spiderName, maxdepth: options.maxdepth };
  await bus.send(`${prefix}.incoming`, [JSON.stringify(request)]);
  const statsKey = `crawlstats:${spiderName}:${appid}:${crawlid}`;
  let published = 0;
  let progressAt = performance.now();
  let timedOut = false;
  const deadline = performance.now() + PHASE_MS;
  const ticker = setInterval(
    () => log(`  ${options.label}: ${fmt(published)} / ${fmt(expected.size)} pages`),
    10_000,
  );
  try {
    while (published < expected.size) {
      await new Promise((r) => setTimeout(r, 100));
      const now = Number((await store.hget(statsKey, 'published')) ?? 0);
      if (now > published) progressAt = performance.now();
      published = now;
      // A depth-limited crawl may end a few pages short of the breadth-first set: done when it stops.
      if (published > 0 && performance.now() - progressAt > 5_000) break;
      if (performance.now() > deadline || performance.now() - progressAt > 30_000) {
        timedOut = true;
        log(`  ${options.label}: stopped waiting at ${published} pages; ${crawler.errors()}`);
        break;
      }
    }
  } finally {
    clearInterval(ticker);
  }
  const seconds = (progressAt - fed) / 1000;
  const r1 = await redisCounters(store);
  const result = {
    crawlerCpu: cpu(crawler.child.pid) - c0.crawler,
    monitorCpu: cpu(monitor.child.pid) - c0.monitor,
    redisCpu: r1.cpu - c0.redis.cpu,
    redisScripts: r1.scripts - c0.redis.scripts,
    crawler: crawlerRss.stop(),
    monitor: monitorRss.stop(),
  };
  for (const { child } of [crawler, monitor]) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await withTimeout(exited, 30_000, 'deployed process exit').catch(() => child.kill('SIGKILL'));
  }
  await bus.close();
  log(`  ${options.label}: reading ${prefix}.crawled_firehose back`);
  const check = await readTopic(servers, `${prefix}.crawled_firehose`, expected, spiderName);
  await deleteKeys(store, `${spiderName}:*`);
  await deleteKeys(store, `crawlstats:${spiderName}:*`);
  await deleteKeys(store, `stats:crawler:*:${spiderName}:*`);
  return {
    label: options.label,
    expected: expected.size,
    published,
    seconds,
    rate: published / seconds,
    timedOut,
    ...result,
    ...check,
  };
}

interface LatencyResult {
  samples: number[];
  p50: number;
  p95: number;
  max: number;
}

/**
 * Feed → first fetch (goal 3): an in-process Kafka Monitor and an idle crawler at default settings; crawl
 * requests for new domains (one page each, a new domain queue each) are produced to `<prefix>.incoming`
 * one at a time, and the time from the produce call to the crawler leasing the URL (the fetch starts in
 * the same turn) is recorded.
 */
async function measureFeedLatency(servers: Servers, store: Store, n: number): Promise<LatencyResult> {
  const web = await withTimeout(
    spawnTestWeb({ domains: n, pagesPerDomain: 1, linksPerPage: 0, crossDomainLinks: 0, record: false }),
    30_000,
    'test web start',
  );
  cleanups.push(() => web.close());
  const spiderName = `benchlat${RUN}`;
  const prefix = `bench-latency-${RUN}`;
  const spider: SpiderClass = class extends LinkSpider {
    static override readonly spiderName = spiderName;
  };
  const quiet = { write: () => undefined };
  const kmSettings = resolveSettings('kafka-monitor', {
    env: {},
    overrides: { ...servers, KAFKA_INCOMING_TOPIC: `${prefix}.incoming`, KAFKA_GROUP: `${prefix}-group` },
  });
  const kmBus = await KafkaBus.connect({
    brokers: kafkaBrokerList(servers.KAFKA_HOSTS),
    clientId: `${prefix}-km`,
  });
  await kmBus.createTopics([`${prefix}.incoming`], 1);
  const kmStore = await connectStore(servers, `${prefix}-km`);
  const km = await KafkaMonitor.create({
    settings: kmSettings,
    store: kmStore,
    bus: kmBus,
    logger: createLogger({ name: 'sc-kafka-monitor', level: 'WARNING', destination: quiet }),
  });
  await km.start();
  const settings = resolveSettings('crawler', {
    env: {},
    overrides: { ...servers, KAFKA_TOPIC_PREFIX: prefix, ...web.fetcherSettings() },
  });
  const bus = await KafkaBus.connect({
    brokers: kafkaBrokerList(servers.KAFKA_HOSTS),
    clientId: `${prefix}-c`,
  });
  await bus.createTopics([`${prefix}.crawled_firehose`], 1);
  const crawlerStore = await connectStore(servers, `${prefix}-c`);
  const crawler = new Crawler({
    settings,
    store: crawlerStore,
    bus,
    logger: createLogger({ name: 'sc-crawler', level: 'WARNING', destination: quiet }),
    spider,
    zookeeper: false,
  });
  const sentAt = new Map<string, number>();
  const samples: number[] = [];
  const lease = crawler.frontier.lease.bind(crawler.frontier);
  crawler.frontier.lease = async (...a: Parameters<typeof lease>) => {
    const leases = await lease(...a);
    for (const l of leases) {
      const at = sentAt.get(l.request.url);
      if (at !== undefined) {
        samples.push(performance.now() - at);
        sentAt.delete(l.request.url);
      }
    }
    return leases;
  };
  await crawler.start();
  // Idle crawlers: the first SCAN is behind them.
  await new Promise((r) => setTimeout(r, 2000));
  const feeder = await KafkaBus.connect({
    brokers: kafkaBrokerList(servers.KAFKA_HOSTS),
    clientId: `${prefix}-f`,
  });
  for (let i = 0; i < n; i++) {
    const url = web.url(i, '/');
    const request = { url, appid: 'benchapp', crawlid: `lat${i}`, spiderid: spiderName, maxdepth: 0 };
    sentAt.set(url, performance.now());
    await feeder.send(`${prefix}.incoming`, [JSON.stringify(request)]);
    // Spaced so the crawls fall at every point of the crawlers' refresh cycle.
    await new Promise((r) => setTimeout(r, 250 + Math.random() * 250));
  }
  const deadline = performance.now() + 30_000;
  while (sentAt.size > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (sentAt.size > 0) log(`  latency: ${sentAt.size} crawls never fetched within 30 s`);
  await feeder.close();
  await withTimeout(crawler.stop(5), 30_000, 'crawler stop');
  await km.close();
  await bus.close();
  await kmBus.close();
  await crawlerStore.close();
  await kmStore.close();
  await deleteKeys(store, `${spiderName}:*`);
  await deleteKeys(store, `crawlstats:${spiderName}:*`);
  await cleanups.pop()!();
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { samples, p50: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1] ?? NaN };
}

async function main(): Promise<number> {
  let handle: ServicesHandle | undefined;
  const env = process.env;
  if (!env.REDIS_HOST || !env.KAFKA_HOSTS) {
    log('starting Redis, ZooKeeper and Kafka (REDIS_HOST / KAFKA_HOSTS not set)');
    handle = await withTimeout(startServices({ kind: 'test', log }), 180_000, 'service start');
    const h = handle;
    cleanups.push(() => h.stop());
  }
  const servers: Servers = {
    REDIS_HOST: handle?.env.REDIS_HOST ?? env.REDIS_HOST!,
    REDIS_PORT: handle?.env.REDIS_PORT ?? Number(env.REDIS_PORT ?? 6379),
    KAFKA_HOSTS: handle?.env.KAFKA_HOSTS ?? env.KAFKA_HOSTS!,
    ...(handle?.env.ZOOKEEPER_HOSTS || env.ZOOKEEPER_HOSTS
      ? { ZOOKEEPER_HOSTS: handle?.env.ZOOKEEPER_HOSTS ?? env.ZOOKEEPER_HOSTS! }
      : {}),
  };
  const stateFile = handle?.stateFile ?? env.SERVICES_STATE_FILE;
  const kafkaPid = stateFile ? readState(stateFile)?.services.kafka?.pid : undefined;
  const store = await connectStore(servers, 'bench-crawler');
  cleanups.push(() => store.close());

  const mainLoad: Workload = { name: 'main', pageBytes: PAGE_BYTES, links: 10 };
  const bigLoad: Workload = { name: '30kb', pageBytes: BIG.bytes, links: BIG.links };
  const results: ConfigResult[] = [];
  results.push(await runConfig(servers, store, kafkaPid, DOMAINS, PAGES, true, mainLoad));
  if (!args['no-big'])
    results.push(await runConfig(servers, store, kafkaPid, DOMAINS, BIG.pages, false, bigLoad));
  for (const d of SCALE_DOMAINS)
    results.push(await runConfig(servers, store, kafkaPid, d, SCALE_PAGES, false, mainLoad));
  const logCost = args['no-info'] ? undefined : await measureLogCost();
  let latency: LatencyResult | undefined;
  if (LATENCY_CRAWLS > 0) {
    log(`feed → first fetch: ${LATENCY_CRAWLS} crawls through an in-process Kafka Monitor`);
    latency = await measureFeedLatency(servers, store, LATENCY_CRAWLS);
  }

  // Report.
  const out: string[] = [];
  const load = loadavg()[0]!.toFixed(1);
  out.push(
    `Crawler benchmark: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), Node ${process.version}, ` +
      `load ${load}; CONCURRENT_REQUESTS ${CONCURRENCY}, per domain ${PER_DOMAIN}, ` +
      `pages ~${PAGE_BYTES > 0 ? `${PAGE_BYTES} B` : '1 KB'}, log level ${args['log-level']}`,
  );
  let ok = true;
  for (const r of results) {
    out.push(
      `${fmt(r.domains)} domains × ${fmt(r.pages / r.domains)} pages = ${fmt(r.pages)} pages (${r.workload} workload)`,
    );
    if (r.baseline) {
      out.push(
        `  baseline   ${fmt(r.baseline.rate).padStart(6)} pages/s  (${r.baseline.seconds.toFixed(1)} s)`,
      );
      out.push(`             ${cpuLine(r.baseline.cpu, r.baseline.seconds, r.pages)}`);
    }
    for (const c of r.crawls) {
      const verdict =
        !c.timedOut && c.kafkaMessages === c.expected && c.kafkaUnique === c.expected && c.kafkaMissing === 0;
      ok &&= verdict;
      out.push(
        `  crawler    ${fmt(c.rate).padStart(6)} pages/s  (${c.seconds.toFixed(1)} s, ${c.label})` +
          `${c.timedOut ? '  TIMED OUT' : ''}` +
          (r.baseline ? `  = ${(c.rate / r.baseline.rate).toFixed(2)} of the baseline` : ''),
      );
      if (r.baseline) {
        const base = (r.baseline.cpu.node / r.pages) * 1e6;
        const own = (c.cpu.node / c.acked) * 1e6;
        out.push(
          `             CPU per page: crawler ${own.toFixed(0)} µs, baseline ${base.toFixed(0)} µs → ratio ${(base / own).toFixed(2)}`,
        );
      }
      out.push(
        `             RSS of the crawler process: peak ${c.rss.peak.toFixed(0)} MB, steady ${c.rss.steady.toFixed(0)} MB` +
          (c.rss.heapUsed === undefined
            ? ''
            : `; at the end V8 heap ${c.rss.heapUsed.toFixed(0)} MB used of ${c.rss.heapTotal!.toFixed(0)} MB ` +
              `(${c.rss.liveHeap!.toFixed(0)} MB after a full GC), ` +
              `${c.rss.external!.toFixed(0)} MB outside the heap (buffers, WASM)`),
      );
      out.push(`             ${cpuLine(c.cpu, c.seconds, c.acked)}`);
      out.push(
        `             Redis per page: ${(c.cpu.redisCalls / c.acked).toFixed(1)} commands ` +
          `(${(c.cpu.redisScripts / c.acked).toFixed(2)} scripts), ${((c.cpu.redis / c.acked) * 1e6).toFixed(0)} µs CPU ` +
          `(one Redis core would serve ~${fmt(c.acked / Math.max(c.cpu.redis, 1e-6))} pages/s); ` +
          `${(c.storeCalls / c.acked).toFixed(2)} store round trips/page, ${(c.leaseCalls / c.acked).toFixed(2)} lease calls/page`,
      );
      out.push(
        `             script calls per page by script: ` +
          [...c.scripts]
            .sort((a, b) => b[1] - a[1])
            .map(([name, n]) => `${name} ${(n / c.acked).toFixed(2)}`)
            .join(', ') +
          `; ${fmt(c.errorLines)} ERROR log lines`,
      );
      out.push(
        `             Redis traffic per page: ${(c.cpu.redisNetIn / c.acked / 1024).toFixed(1)} KB in, ` +
          `${(c.cpu.redisNetOut / c.acked / 1024).toFixed(1)} KB out; ` +
          `commands per page (calls, µs; EVALSHA's µs include its commands'): ` +
          [...c.cpu.redisCommands]
            .filter(([name, v]) => v.calls > 0 && name !== 'info')
            .sort((a, b) => b[1].usec - a[1].usec)
            .slice(0, 14)
            .map(([name, v]) => `${name} ${(v.calls / c.acked).toFixed(2)}/${(v.usec / c.acked).toFixed(1)}`)
            .join(', '),
      );
      out.push(
        `             check: ${fmt(c.acked)} acked, crawlstats published ${fmt(c.published)}, Kafka ` +
          `${fmt(c.kafkaMessages)} messages, ${fmt(c.kafkaUnique)} distinct URLs, ${c.kafkaMissing} missing, ` +
          `${c.non200} not 200 → ${verdict ? 'ok' : 'WRONG'}`,
      );
    }
  }
  for (const r of results) {
    const d = r.deployed;
    if (!d) continue;
    // Every published page on Kafka once. With maxdepth 3 the crawl order decides which pages at the edge
    // are reached (a page first found by a longer path is not followed further), so a few of the
    // breadth-first set may be missing; that is reported, not failed.
    const verdict =
      !d.timedOut &&
      d.kafkaMessages === d.published &&
      d.kafkaUnique === d.published &&
      d.kafkaUnique + d.kafkaMissing === d.expected &&
      d.kafkaMissing <= d.expected * 0.05;
    ok &&= verdict;
    const own = (d.crawlerCpu / d.published) * 1e6;
    const base = r.baseline ? (r.baseline.cpu.node / r.pages) * 1e6 : NaN;
    out.push(
      `  deployed   ${fmt(d.rate).padStart(6)} pages/s  (${d.seconds.toFixed(1)} s from the request on the incoming topic, ${d.label})` +
        (r.baseline ? `  = ${(d.rate / r.baseline.rate).toFixed(2)} of the baseline` : ''),
    );
    out.push(
      `             crawler process ${own.toFixed(0)} µs/page CPU` +
        (r.baseline ? ` → CPU ratio ${(base / own).toFixed(2)}` : '') +
        `, Kafka Monitor process ${d.monitorCpu.toFixed(2)} s, Redis ${((d.redisCpu / d.published) * 1e6).toFixed(0)} µs/page, ` +
        `${(d.redisScripts / d.published).toFixed(2)} scripts/page`,
    );
    out.push(
      `             RSS: crawler peak ${d.crawler.peak.toFixed(0)} MB, steady ${d.crawler.steady.toFixed(0)} MB; ` +
        `Kafka Monitor peak ${d.monitor.peak.toFixed(0)} MB, steady ${d.monitor.steady.toFixed(0)} MB`,
    );
    out.push(
      `             check: crawlstats published ${fmt(d.published)}, Kafka ${fmt(d.kafkaMessages)} messages, ` +
        `${fmt(d.kafkaUnique)} distinct URLs, ${d.kafkaMissing} of the ${fmt(d.expected)} within 3 links not reached → ${verdict ? 'ok' : 'WRONG'}`,
    );
  }
  const main = results[0]!;
  const warn = main.crawls.find((c) => c.label.endsWith(args['log-level'].toLowerCase()));
  const info = main.crawls.find((c) => c.label.endsWith('info') && c !== warn);
  out.push('Targets');
  for (const r of results.filter((x) => x.baseline && x.crawls[0] && (x === main || x.workload !== 'main'))) {
    const c = r.crawls[0]!;
    const ratio = r.baseline!.cpu.node / r.pages / (c.cpu.node / c.acked);
    const target = r.workload === 'main' ? 0.6 : 0.5;
    const redisUs = (c.cpu.redis / c.acked) * 1e6;
    const scripts = c.cpu.redisScripts / c.acked;
    out.push(
      `  [${r.workload}] CPU per page, baseline / crawler: ${ratio.toFixed(2)} (target >= ${target}: ${ratio >= target ? 'met' : 'NOT met'})`,
    );
    out.push(
      `  [${r.workload}] Redis ${redisUs.toFixed(0)} µs/page (target <= 60: ${redisUs <= 60 ? 'met' : 'NOT met'}), ` +
        `${scripts.toFixed(2)} script calls/page (target <= 1: ${scripts <= 1 ? 'met' : 'NOT met'}), ` +
        `ceiling of one Redis ~${fmt(1e6 / redisUs)} pages/s`,
    );
    out.push(
      `  [${r.workload}] crawler RSS peak ${c.rss.peak.toFixed(0)} MB, steady ${c.rss.steady.toFixed(0)} MB ` +
        `(target <= 200: ${c.rss.peak <= 200 ? 'met' : 'NOT met'})`,
    );
  }
  for (const r of results) {
    if (!r.deployed) continue;
    const d = r.deployed;
    out.push(
      `  [deployed ${r.workload}] RSS peak: crawler ${d.crawler.peak.toFixed(0)} MB (target <= 200: ${d.crawler.peak <= 200 ? 'met' : 'NOT met'}), ` +
        `Kafka Monitor ${d.monitor.peak.toFixed(0)} MB (target <= 120: ${d.monitor.peak <= 120 ? 'met' : 'NOT met'})`,
    );
  }
  if (latency) {
    out.push(
      `  feed → first fetch over ${latency.samples.length} crawls: p50 ${latency.p50.toFixed(0)} ms, p95 ${latency.p95.toFixed(0)} ms, ` +
        `max ${latency.max.toFixed(0)} ms (target p95 <= 1,000: ${latency.p95 <= 1000 ? 'met' : 'NOT met'})`,
    );
  }
  if (warn && main.baseline) {
    const ratio = warn.rate / main.baseline.rate;
    out.push(
      `  crawler / baseline (${main.domains} domains): ${ratio.toFixed(2)} (target >= 0.60: ${ratio >= 0.6 ? 'met' : 'NOT met'})`,
    );
  }
  if (warn) {
    out.push(
      `  crawler pages/s (${main.domains} domains): ${fmt(warn.rate)} (target >= 1,000: ${warn.rate >= 1000 ? 'met' : 'NOT met'})`,
    );
  }
  if (warn && info) {
    out.push(
      `  INFO logging, whole crawl: ${fmt(info.rate)} pages/s, ${(info.rate / warn.rate).toFixed(2)} of the ${args['log-level']} rate ` +
        `(bench process CPU ${signed((info.cpu.node / info.acked - warn.cpu.node / warn.acked) * 1e6)} µs/page)`,
    );
  }
  if (logCost) {
    out.push(
      `  INFO logging, the pipeline alone: ${logCost.text.toFixed(1)} µs/page more as text lines, ` +
        `${logCost.json.toFixed(1)} µs/page more as JSON lines (SC_LOG_JSON)`,
    );
  }
  const scaled = results.slice(args['no-big'] ? 1 : 2);
  const few = scaled.find((r) => r.domains === Math.min(...SCALE_DOMAINS))?.crawls[0];
  const many = scaled.find((r) => r.domains === Math.max(...SCALE_DOMAINS))?.crawls[0];
  if (few && many && few !== many) {
    const ratio = many.rate / few.rate;
    out.push(
      `  ${fmt(Math.max(...SCALE_DOMAINS))} domains / ${fmt(Math.min(...SCALE_DOMAINS))} domains: ` +
        `${fmt(many.rate)} / ${fmt(few.rate)} = ${ratio.toFixed(2)} (target >= 0.85, issue #17: ${ratio >= 0.85 ? 'met' : 'NOT met'})`,
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);
  return ok ? 0 : 1;
}

const maxMs = Number(args['max-seconds']) * 1000;
const watchdog = setTimeout(() => {
  log(`the run took longer than ${maxMs / 1000} s; stopping`);
  void cleanUp().finally(() => process.exit(2));
}, maxMs);
process.once('SIGINT', () => {
  void cleanUp().finally(() => process.exit(130));
});
try {
  process.exitCode = await main();
} catch (err) {
  log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
} finally {
  await cleanUp();
  clearTimeout(watchdog);
}
