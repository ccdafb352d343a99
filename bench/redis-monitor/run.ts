/**
 * Redis Monitor benchmark (issue 7 §4): info, stop and expire over a large backlog.
 *
 *   npx tsx bench/redis-monitor/run.ts [--requests 1000000] [--domains 1000] [--crawls 4]
 *
 * Fills `--requests` crawl requests (Kafka Monitor feed objects, ~340 bytes each) over `--domains` queues of
 * one spider, split evenly between `--crawls` crawls of one appid, plus some leased requests; then times,
 * with the real plugins:
 *   - info for the appid (every request is read),
 *   - info for one crawl,
 *   - stop of one crawl (its requests and leases purged),
 * beside a baseline measured in the same run: a plain pipelined `ZRANGE 0 -1` of every queue (the bytes a
 * client-side scan must at least move). For each it reports the longest single Redis call (SLOWLOG with a
 * 0 µs threshold, reset before) and the longest PING round trip of a second client probing every 2 ms
 * (what any other client of the server feels).
 *
 * Redis: a private server started through the service harness's launcher on a free port (removed at
 * the end), or the server of REDIS_HOST / REDIS_PORT / REDIS_DB when set (its SLOWLOG settings are
 * changed and restored, and the bench keys are deleted).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { MemoryBus, type Outgoing } from '../../src/core/bus/index.js';
import { createLogger } from '../../src/core/logging/index.js';
import { resolveSettings } from '../../src/settings.js';
import { RedisStore, type Reply, type Store } from '../../src/core/store/index.js';
import { InfoMonitor, StopMonitor, type RedisMonitorContext } from '../../src/redis-monitor/index.js';
import { freePorts } from '../../scripts/services/ports.js';
import { launch, terminate } from '../../scripts/services/process.js';
import { redisAnswers, redisLaunch } from '../../scripts/services/redis.js';

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '1000000' },
    domains: { type: 'string', default: '1000' },
    crawls: { type: 'string', default: '4' },
  },
});
const REQUESTS = Number(args.requests);
const DOMAINS = Number(args.domains);
const CRAWLS = Number(args.crawls);
const LEASES = 2000;
const SPIDER = 'rmbench';
const APPID = 'benchapp';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Server {
  host: string;
  port: number;
  db: number;
  stop(): Promise<void>;
}

async function privateRedis(): Promise<Server> {
  const [port] = (await freePorts(1)) as [number];
  const dir = mkdtempSync(join(tmpdir(), 'rm-bench-redis-'));
  const spec = redisLaunch(port, dir);
  const pid = await launch(spec);
  for (let i = 0; i < 200 && !(await redisAnswers('127.0.0.1', port)); i++) await sleep(50);
  return {
    host: '127.0.0.1',
    port,
    db: 0,
    stop: async () => {
      await terminate(pid, String(port), 5_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Queue member as the Kafka Monitor writes it (same keys, same order). */
function member(domain: string, i: number, crawlid: string): string {
  return JSON.stringify({
    url: `http://www.${domain}/section/${i % 97}/article-${i}.html`,
    appid: APPID,
    crawlid,
    priority: 1 + (i % 20),
    expires: 0,
    spiderid: SPIDER,
    maxdepth: 2,
    domain_max_pages: null,
    allowed_domains: null,
    allow_regex: null,
    deny_regex: null,
    deny_extensions: null,
    useragent: null,
    cookie: null,
    attrs: null,
    ts: 1700000000.123456 + i,
  });
}

const crawlOf = (i: number) => `crawl${i % CRAWLS}`;

async function fill(store: Store): Promise<{ bytes: number }> {
  let bytes = 0;
  const perDomain = Math.ceil(REQUESTS / DOMAINS);
  let n = 0;
  let pipe = store.pipeline();
  for (let d = 0; d < DOMAINS && n < REQUESTS; d++) {
    const domain = `domain${d}.com`;
    const key = `${SPIDER}:${domain}:queue`;
    for (let start = 0; start < perDomain && n < REQUESTS; start += 1000) {
      const args: (string | number)[] = [key];
      for (let i = start; i < Math.min(perDomain, start + 1000) && n < REQUESTS; i++, n++) {
        const m = member(domain, n, crawlOf(n));
        bytes += m.length;
        args.push(-(1 + (n % 20)), m);
      }
      pipe.call('ZADD', ...args);
      if (pipe.length >= 20) {
        check(await pipe.exec());
        pipe = store.pipeline();
      }
    }
  }
  for (let i = 0; i < LEASES; i++) {
    const item = member('domain0.com', i, crawlOf(i));
    const id = `lease${i}`;
    pipe.call(
      'HSET',
      `${SPIDER}:leased`,
      id,
      JSON.stringify({
        queue: `${SPIDER}:domain0.com:queue`,
        score: -1,
        item,
        owner: 'bench',
        expires: 1999999999,
      }),
    );
    pipe.call('ZADD', `${SPIDER}:leases`, 1999999999, id);
  }
  check(await pipe.exec());
  return { bytes };
}

function check(replies: (Reply | Error)[]): void {
  const failed = replies.find((r) => r instanceof Error);
  if (failed) throw failed;
}

/**
 * Pings the server every 2 ms from a worker thread with its own connection and event loop (so the bench's
 * own reply parsing does not delay it); reports the longest round trip.
 */
function probe(server: Server): { stop(): Promise<number> } {
  const worker = new Worker(
    `
    const { parentPort, workerData } = require('node:worker_threads');
    const net = require('node:net');
    const socket = net.connect(workerData.port, workerData.host);
    let running = true, worst = 0, sentAt = 0, buffer = '';
    const ping = () => { if (!running) return finish(); sentAt = performance.now(); socket.write('PING\\r\\n'); };
    const finish = () => { socket.end(); parentPort.postMessage(worst); };
    socket.setNoDelay(true);
    socket.on('connect', ping);
    socket.on('data', (chunk) => {
      buffer += chunk.toString();
      if (!buffer.includes('\\r\\n')) return;
      buffer = '';
      worst = Math.max(worst, performance.now() - sentAt);
      setTimeout(ping, 2);
    });
    parentPort.on('message', () => { running = false; });
    `,
    { eval: true, workerData: { host: server.host, port: server.port } },
  );
  const result = new Promise<number>((resolve, reject) => {
    worker.once('message', (worst: number) => resolve(worst));
    worker.once('error', reject);
  });
  return {
    stop: async () => {
      worker.postMessage('stop');
      const worst = await result;
      await worker.terminate();
      return worst;
    },
  };
}

interface Measured {
  label: string;
  seconds: number;
  worstCallMs: number;
  worstCommand: string;
  worstPingMs: number;
  calls: number;
  /** Median and 99th percentile of the single-call durations, ms. */
  p50Ms: number;
  p99Ms: number;
  note: string;
}

/** Runs `fn` with SLOWLOG capturing every command (threshold 0) and a PING probe alongside. */
async function measure(
  admin: Store,
  server: Server,
  label: string,
  fn: () => Promise<string>,
): Promise<Measured> {
  await admin.call('SLOWLOG', 'RESET');
  const ping = probe(server);
  await sleep(20);
  const started = performance.now();
  const note = await fn();
  const seconds = (performance.now() - started) / 1000;
  const worstPingMs = await ping.stop();
  const log = (await admin.call('SLOWLOG', 'GET', -1)) as Reply[];
  let worst = 0;
  let worstCommand = '';
  let calls = 0;
  const durations: number[] = [];
  for (const entry of log as Reply[][]) {
    const argv = (entry[3] as string[]) ?? [];
    const command = String(argv[0] ?? '').toUpperCase();
    if (command === 'PING' || command === 'SLOWLOG') continue;
    calls++;
    const micros = Number(entry[2]);
    durations.push(micros / 1000);
    if (micros > worst) {
      worst = micros;
      worstCommand = command === 'EVALSHA' ? `EVALSHA (${String(argv[3] ?? '')})` : command;
    }
  }
  durations.sort((a, b) => a - b);
  const at = (q: number) => durations[Math.min(durations.length - 1, Math.floor(q * durations.length))] ?? 0;
  return {
    label,
    seconds,
    worstCallMs: worst / 1000,
    worstCommand,
    worstPingMs,
    calls,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    note,
  };
}

async function main(): Promise<void> {
  const external = process.env.REDIS_HOST;
  const server: Server = external
    ? {
        host: external,
        port: Number(process.env.REDIS_PORT ?? 6379),
        db: Number(process.env.REDIS_DB ?? 0),
        stop: async () => undefined,
      }
    : await privateRedis();
  const store = await RedisStore.connect({
    host: server.host,
    port: server.port,
    db: server.db,
    socketTimeout: 60,
  });
  const admin = await RedisStore.connect({
    host: server.host,
    port: server.port,
    db: server.db,
    socketTimeout: 60,
  });
  const oldSlowlog = (await admin.call('CONFIG', 'GET', 'slowlog-*')) as string[];
  try {
    await admin.call('CONFIG', 'SET', 'slowlog-log-slower-than', 0);
    await admin.call('CONFIG', 'SET', 'slowlog-max-len', 200000);
    const version = String(
      ((await admin.call('INFO', 'server')) as string).match(/redis_version:(\S+)/)?.[1],
    );
    console.log(
      `load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} on ${cpus().length} cores`,
    );
    console.log(
      `Redis ${version} at ${server.host}:${server.port}/${server.db}${external ? ' (env)' : ' (private)'}`,
    );

    const t0 = performance.now();
    const { bytes } = await fill(store);
    const used = String(
      ((await admin.call('INFO', 'memory')) as string).match(/used_memory_human:(\S+)/)?.[1],
    );
    console.log(
      `filled ${REQUESTS.toLocaleString('en')} requests (${(bytes / 1e6).toFixed(0)} MB of JSON) over ${DOMAINS} ` +
        `domains, ${CRAWLS} crawls, ${LEASES} leases in ${((performance.now() - t0) / 1000).toFixed(1)} s; ` +
        `Redis uses ${used}`,
    );

    const keys: string[] = [];
    for await (const batch of store.scan(`${SPIDER}:*:queue`, 1000)) keys.push(...batch);

    const settings = resolveSettings('redis-monitor', { env: {}, overrides: {} });
    const sent: Record<string, unknown>[] = [];
    const bus = new (class extends MemoryBus {
      override async send(_topic: string, messages: Outgoing[]): Promise<void> {
        for (const m of messages)
          sent.push(JSON.parse(typeof m === 'string' ? m : m.value) as Record<string, unknown>);
      }
    })();
    const logger = createLogger({ name: 'bench', level: 'WARNING' });
    const context: RedisMonitorContext = { store, bus, logger, settings };
    const info = new InfoMonitor();
    info.setup(context);
    const stop = new StopMonitor();
    stop.setup(context);

    const results: Measured[] = [];
    results.push(
      await measure(admin, server, 'baseline: pipelined ZRANGE 0 -1 of every queue', async () => {
        let members = 0;
        for (let i = 0; i < keys.length; i += 8) {
          const pipe = store.pipeline();
          for (const key of keys.slice(i, i + 8)) pipe.call('ZRANGE', key, 0, -1);
          for (const r of await pipe.exec()) members += Array.isArray(r) ? r.length : 0;
        }
        return `${members.toLocaleString('en')} members read`;
      }),
    );
    results.push(
      await measure(admin, server, 'info, appid level', async () => {
        await info.handle(`info:${SPIDER}:${APPID}`, 'u-app');
        const r = sent.at(-1)!;
        return `total_pending ${Number(r.total_pending).toLocaleString('en')}, ${String(r.total_crawlids)} crawls, ${String(r.total_domains)} domains`;
      }),
    );
    results.push(
      await measure(admin, server, 'info, crawlid level', async () => {
        await info.handle(`info:${SPIDER}:${APPID}:crawl2`, 'u-crawl');
        const r = sent.at(-1)!;
        return `total_pending ${Number(r.total_pending).toLocaleString('en')}, ${String(r.total_domains)} domains`;
      }),
    );
    results.push(
      await measure(admin, server, 'stop (purge one crawl, queued + leased)', async () => {
        await stop.handle(`stop:${SPIDER}:${APPID}:crawl1`, 'u-stop');
        const r = sent.at(-1)!;
        return `total_purged ${Number(r.total_purged).toLocaleString('en')}`;
      }),
    );

    console.log('');
    console.log(
      '| operation | wall time | Redis calls | single call p50 / p99 | longest single call | longest PING seen by another client | result |',
    );
    console.log('|---|---:|---:|---:|---:|---:|---|');
    for (const r of results) {
      console.log(
        `| ${r.label} | ${r.seconds.toFixed(2)} s | ${r.calls.toLocaleString('en')} | ${r.p50Ms.toFixed(1)} / ${r.p99Ms.toFixed(1)} ms | ${r.worstCallMs.toFixed(1)} ms (${r.worstCommand}) | ${r.worstPingMs.toFixed(1)} ms | ${r.note} |`,
      );
    }
  } finally {
    for (let i = 0; i + 1 < oldSlowlog.length; i += 2)
      await admin.call('CONFIG', 'SET', oldSlowlog[i]!, oldSlowlog[i + 1]!).catch(() => undefined);
    await admin.call('SLOWLOG', 'RESET').catch(() => undefined);
    if (external) {
      for await (const batch of store.scan(`${SPIDER}:*`, 1000)) await store.del(...batch);
    } else {
      // Nothing worth saving: skip the snapshot on the way out.
      await admin.call('SHUTDOWN', 'NOSAVE').catch(() => undefined);
    }
    await Promise.all([store.close(), admin.close()]).catch(() => undefined);
    await server.stop();
  }
}

await main();
