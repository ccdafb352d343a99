/**
 * Kafka Monitor throughput: 50,000 valid crawl requests produced into a fresh topic, then one KafkaMonitor
 * (RedisStore + KafkaBus, default settings, INFO logging formatted but discarded) timed from the start of
 * its first batch to the end of the batch whose Redis write completed the 50,000. Beside it, measured in
 * the same run, the baseline: the same queue writes (priority-push calls and timeout SETs, prepared
 * before the clock starts, sent through the same BatchTransaction, 1,000 requests per round trip)
 * without the monitor, i.e. without Kafka, validation, handlers, logging and stats.
 *
 *   npx tsx bench/kafka-monitor/run.ts [--requests N] [--log-level LEVEL] [--no-stats]
 *
 * `--no-stats` turns the monitor's stats off (STATS_TOTAL and STATS_PLUGINS false), to show their cost.
 *
 * Uses REDIS_HOST / REDIS_PORT / KAFKA_HOSTS when both hosts are set, otherwise starts the service
 * harness's servers and stops them afterwards. Exits 1 when Redis does not hold exactly N requests from
 * each of the two runs. Its keys are deleted at the end; the topic stays (the bus cannot delete topics).
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { cpus, loadavg } from 'node:os';
import { startServices, type ServicesHandle } from '../../scripts/services/stack.js';
import { KafkaBus, kafkaBrokerList, type BusMessage } from '../../src/core/bus/index.js';
import { registeredDomain } from '../../src/core/domain.js';
import { createLogger } from '../../src/core/logging/index.js';
import { priorityPush } from '../../src/core/queues/index.js';
import { resolveSettings } from '../../src/settings.js';
import { connectStore, type Store } from '../../src/core/store/index.js';
import { KafkaMonitor } from '../../src/kafka-monitor/monitor.js';
import { loadBuiltInSchema } from '../../src/core/wire/schemas.js';
import { BatchTransaction } from '../../src/kafka-monitor/transaction.js';
import { SchemaValidator } from '../../src/core/wire/validator.js';

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '50000' },
    'log-level': { type: 'string', default: 'INFO' },
    'no-stats': { type: 'boolean', default: false },
  },
});
const TOTAL = Number(args.requests);
const BATCH = 1000;
const TLDS = ['com', 'org', 'net', 'co.uk', 'io', 'de', 'com.au', 'fr'];
const run = randomUUID().slice(0, 8);
const topic = `bench-km-${run}.incoming`;

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);

/** A valid crawl request; varied domains (200, several public suffixes), priorities and options. */
function request(i: number, spiderid: string): Record<string, unknown> {
  const domain = `site${i % 200}.${TLDS[i % TLDS.length]}`;
  return {
    url: `http://www.${domain}/section/${i % 37}/page-${i}.html?ref=bench`,
    appid: 'benchapp',
    crawlid: `crawl${i % 500}`,
    spiderid,
    priority: 1 + (i % 100),
    ...(i % 3 === 0 ? { maxdepth: i % 4 } : {}),
    ...(i % 5 === 0 ? { expires: 2_000_000_000 + (i % 1000) } : {}),
    ...(i % 11 === 0 ? { allowed_domains: [domain], attrs: { source: 'bench', n: i } } : {}),
  };
}

async function produce(bus: KafkaBus): Promise<void> {
  await bus.createTopics([topic], 1);
  for (let from = 0; from < TOTAL; from += 5000) {
    const chunk: string[] = [];
    for (let i = from; i < Math.min(TOTAL, from + 5000); i++)
      chunk.push(JSON.stringify(request(i, `bench${run}`)));
    await bus.send(topic, chunk);
  }
}

async function queuedCount(store: Store, spiderid: string): Promise<number> {
  let n = 0;
  for await (const keys of store.scan(`${spiderid}:*:queue`, 1000))
    for (const key of keys) n += await store.zcard(key);
  return n;
}

async function deleteKeys(store: Store, pattern: string): Promise<void> {
  for await (const keys of store.scan(pattern, 1000)) if (keys.length > 0) await store.del(...keys);
}

interface MonitorRun {
  ms: number;
  batches: number;
  /** Time spent inside processBatch (validation, handlers, the Redis round trip). */
  handlerMs: number;
  /** CPU time of this process between the first batch and the last write. */
  nodeCpuMs: number;
}

/** Redis's own CPU time so far (user + system), from INFO. */
async function redisCpuMs(store: Store): Promise<number> {
  const info = String(await store.call('INFO', 'cpu'));
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1000;
}

/** Times the monitor from the start of its first batch to the end of the batch completing N requests. */
async function measureMonitor(env: {
  REDIS_HOST: string;
  REDIS_PORT: number;
  KAFKA_HOSTS: string;
}): Promise<MonitorRun> {
  const settings = resolveSettings('kafka-monitor', {
    env: {},
    overrides: {
      ...env,
      KAFKA_INCOMING_TOPIC: topic,
      KAFKA_GROUP: `bench-km-${run}`,
      LOG_LEVEL: args['log-level'],
      ...(args['no-stats'] ? { STATS_TOTAL: false, STATS_PLUGINS: false } : {}),
    },
  });
  const store = await connectStore(settings, 'kafka-monitor');
  const bus = await KafkaBus.connect({
    brokers: kafkaBrokerList(settings.KAFKA_HOSTS),
    clientId: 'bench-km',
  });
  // The real text logger (every "Added crawl to Redis" line is formatted), writing nowhere.
  const logger = createLogger({
    name: 'kafka-monitor',
    level: settings.LOG_LEVEL,
    destination: { write: () => true },
  });
  const monitor = await KafkaMonitor.create({ settings, store, bus, logger });

  let first = 0;
  let cpuAtFirst = process.cpuUsage();
  let done = 0;
  let batches = 0;
  let handlerMs = 0;
  let finish!: (run: MonitorRun) => void;
  const finished = new Promise<MonitorRun>((resolve) => (finish = resolve));
  // The subscription calls monitor.processBatch for each batch; wrapping it times exactly that.
  const processBatch = monitor.processBatch.bind(monitor);
  monitor.processBatch = async (messages: BusMessage[]) => {
    const started = performance.now();
    if (first === 0) {
      first = started;
      cpuAtFirst = process.cpuUsage();
    }
    await processBatch(messages);
    const now = performance.now();
    handlerMs += now - started;
    batches++;
    done += messages.length;
    if (done >= TOTAL) {
      const cpu = process.cpuUsage(cpuAtFirst);
      finish({ ms: now - first, batches, handlerMs, nodeCpuMs: (cpu.user + cpu.system) / 1000 });
    }
  };
  await monitor.start();
  const result = await finished;
  await monitor.close();
  await bus.close();
  await store.close();
  return result;
}

/**
 * The monitor's queue writes without the monitor: the members it would write (defaults and ts filled in,
 * prepared before the clock starts), pushed through the same BatchTransaction, BATCH per round trip, so
 * the commands sent are exactly the monitor's minus its stats.
 */
async function measureBaseline(store: Store, spiderid: string): Promise<number> {
  const validator = new SchemaValidator(loadBuiltInSchema('scraper_schema.json'));
  const ts = Date.now() / 1000;
  const writes: { key: string; priority: number; member: string; timeout?: [string, string] }[] = [];
  for (let i = 0; i < TOTAL; i++) {
    const result = validator.validate(request(i, spiderid));
    if (!result.ok) throw new Error(result.error);
    const value: Record<string, unknown> = result.value;
    value.ts = ts;
    const expires = Number(value.expires);
    writes.push({
      key: `${spiderid}:${registeredDomain(String(value.url))}:queue`,
      priority: Number(value.priority),
      member: JSON.stringify(value),
      ...(expires !== 0
        ? {
            timeout: [`timeout:${spiderid}:${String(value.appid)}:${String(value.crawlid)}`, String(expires)],
          }
        : {}),
    });
  }
  await store.run(priorityPush, [`${spiderid}:warmup:queue`], [1, 'warmup']);
  await store.del(`${spiderid}:warmup:queue`);
  const start = performance.now();
  for (let from = 0; from < TOTAL; from += BATCH) {
    const tx = new BatchTransaction(store.pipeline());
    for (const w of writes.slice(from, from + BATCH)) {
      tx.run(priorityPush, [w.key], [w.priority, w.member]);
      if (w.timeout) tx.call('SET', ...w.timeout);
    }
    await tx.commit();
  }
  return performance.now() - start;
}

async function main(): Promise<void> {
  let handle: ServicesHandle | undefined;
  const env = process.env;
  if (!env.REDIS_HOST || !env.KAFKA_HOSTS) {
    log('starting the service harness (REDIS_HOST / KAFKA_HOSTS not set)');
    handle = await startServices({ kind: 'test', log });
    process.once('SIGINT', () => {
      handle?.killSync();
      process.exit(130);
    });
  }
  const servers = {
    REDIS_HOST: handle?.env.REDIS_HOST ?? env.REDIS_HOST!,
    REDIS_PORT: handle?.env.REDIS_PORT ?? Number(env.REDIS_PORT ?? 6379),
    KAFKA_HOSTS: handle?.env.KAFKA_HOSTS ?? env.KAFKA_HOSTS!,
  };
  const store = await connectStore(servers, 'bench-checker');
  const producer = await KafkaBus.connect({
    brokers: kafkaBrokerList(servers.KAFKA_HOSTS),
    clientId: 'bench-producer',
  });
  let ok: boolean;
  try {
    log(`producing ${TOTAL} crawl requests into ${topic}`);
    await produce(producer);

    log('running the Kafka Monitor');
    const redisCpuBefore = await redisCpuMs(store);
    const monitor = await measureMonitor(servers);
    const monitorRedisCpu = (await redisCpuMs(store)) - redisCpuBefore;
    const queued = await queuedCount(store, `bench${run}`);

    log('running the baseline (the same queue writes without the monitor)');
    const baselineRedisBefore = await redisCpuMs(store);
    const baselineMs = await measureBaseline(store, `base${run}`);
    const baselineRedisCpu = (await redisCpuMs(store)) - baselineRedisBefore;
    const baselineQueued = await queuedCount(store, `base${run}`);

    const monitorRate = rate(TOTAL, monitor.ms);
    const baselineRate = rate(TOTAL, baselineMs);
    ok = queued === TOTAL && baselineQueued === TOTAL;
    const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    const out = [
      `Kafka Monitor benchmark: ${TOTAL} crawl requests${args['no-stats'] ? ' (stats off)' : ''}, ${cpus().length} cores, Node ${process.version}, load ${loadavg()[0]!.toFixed(1)}`,
      `  monitor   ${s(monitor.ms)}  ${monitorRate} requests/s  (${monitor.batches} batches)`,
      `            ${s(monitor.handlerMs)} in processBatch, ${s(monitor.ms - monitor.handlerMs)} between batches (commit offsets, fetch); CPU: node ${s(monitor.nodeCpuMs)}, Redis ${s(monitorRedisCpu)}`,
      `  baseline  ${s(baselineMs)}  ${baselineRate} requests/s  (the same queue writes, ${BATCH} requests per round trip; Redis CPU ${s(baselineRedisCpu)})`,
      `  ratio     ${(monitorRate / baselineRate).toFixed(2)} of the baseline`,
      `  target    20000 requests/s: ${monitorRate >= 20_000 ? 'met' : 'NOT met'}`,
      `  check     ${queued} queued by the monitor, ${baselineQueued} by the baseline: ${ok ? 'ok' : 'WRONG'}`,
    ];
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    await deleteKeys(store, `bench${run}:*`);
    await deleteKeys(store, `base${run}:*`);
    await deleteKeys(store, `timeout:bench${run}:*`);
    await deleteKeys(store, `timeout:base${run}:*`);
    await store.close();
    await producer.close();
    await handle?.stop();
  }
  process.exitCode = ok ? 0 : 1;
}

await main();
