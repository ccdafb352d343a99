/**
 * Hostile records on the incoming topic: one nested 5,000 levels deep, one larger than the monitor's
 * size limit, a 50 MB one (which the broker refuses at the producer), and 10,000 malformed ones (bad
 * JSON, wrong types, missing members, hostile strings, invalid regexes) interleaved with 2,000 valid
 * ones. None may stop the partition: every valid request is written, every bad one is counted and
 * logged with its cause, and no cookie value reaches the log.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { KafkaBus, kafkaBrokerList } from '../../src/core/bus/index.js';
import { resolveSettings } from '../../src/settings.js';
import { connectStore, type Store } from '../../src/core/store/index.js';
import { KafkaMonitor } from '../../src/kafka-monitor/monitor.js';
import { captureLogger, waitFor } from '../support/capture-logger.js';
import { servicesEnv } from '../support/services.js';

const id = `kmhostile${randomUUID().slice(0, 8)}`;
const spider = `sp${id}`;
const COOKIE = `session=${randomUUID()}`;
const VALID = 2000;
const MALFORMED = 10_000;

let producer: KafkaBus;
let checker: Store;

beforeAll(async () => {
  const env = servicesEnv();
  producer = await KafkaBus.connect({
    brokers: kafkaBrokerList(env.KAFKA_HOSTS),
    clientId: `${id}-producer`,
  });
  checker = await connectStore({ REDIS_HOST: env.REDIS_HOST, REDIS_PORT: env.REDIS_PORT }, 'checker');
});

afterAll(async () => {
  await checker?.close();
  await producer?.close();
});

const valid = (i: number) =>
  JSON.stringify({
    url: `http://www.hostile${i % 5}.com/p/${i}`,
    appid: 'app',
    crawlid: `c${i}`,
    spiderid: spider,
    cookie: COOKIE,
  });

function deep(levels: number): string {
  return `{"url":"http://www.hostile0.com/deep","appid":"app","crawlid":"deep","spiderid":"${spider}","attrs":${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}}`;
}

/** The kinds of bad records, each refused for a different reason. */
const MALFORMED_KINDS: ((i: number) => string)[] = [
  (i) => `{"url": "http://x.com/${i}", "appid":`, // bad JSON
  (i) => JSON.stringify({ url: i, appid: 'app', crawlid: `b${i}`, spiderid: spider }), // wrong type
  (i) => JSON.stringify({ appid: 'app', crawlid: `b${i}`, cookie: COOKIE }), // missing url, with a cookie
  (i) =>
    JSON.stringify({
      url: `http://x.com/${'\u0000'.repeat(10)}${i}`,
      appid: 'a\u202e',
      crawlid: 5,
      spiderid: spider,
    }),
  (i) =>
    JSON.stringify({
      url: `http://x.com/${i}`,
      appid: 'app',
      crawlid: `b${i}`,
      spiderid: spider,
      allow_regex: ['(a'],
      cookie: COOKIE,
    }),
  (i) =>
    JSON.stringify({
      url: `http://x.com/${i}`,
      appid: 'app',
      crawlid: `b${i}`,
      spiderid: spider,
      deny_regex: ['(?=x)'],
    }),
  () => '[1,2,3]',
  () => 'null',
  (i) => JSON.stringify({ __proto__: { polluted: true }, url: `http://x.com/${i}` }),
  (i) =>
    JSON.stringify({ action: 'info', appid: 'app', uuid: `u${i}`, spiderid: spider, crawlid: { $gt: '' } }),
];

async function members(): Promise<number> {
  let total = 0;
  for (let d = 0; d < 5; d++)
    total += (await checker.zrange(`${spider}:hostile${d}.com:queue`, 0, -1)).length;
  return total;
}

it(
  'writes every valid request and counts every hostile one, without stalling',
  { timeout: 600_000 },
  async () => {
    const env = servicesEnv();
    const settings = resolveSettings('kafka-monitor', {
      env: {},
      overrides: {
        REDIS_HOST: env.REDIS_HOST,
        REDIS_PORT: env.REDIS_PORT,
        KAFKA_HOSTS: env.KAFKA_HOSTS,
        KAFKA_INCOMING_TOPIC: `${id}.incoming`,
        KAFKA_GROUP: `${id}-group`,
        KAFKA_CONSUMER_AUTO_OFFSET_RESET: 'earliest',
        // Below the broker's ~1 MB default, so an oversized record can reach the monitor.
        KAFKA_CONSUMER_FETCH_MESSAGE_MAX_BYTES: 256 * 1024,
        STATS_DUMP: 0,
      },
    });
    const topic = `${id}.incoming`;
    await producer.createTopics([topic]);

    // The 50 MB record: the broker's default message.max.bytes (~1 MB) refuses it at the producer.
    const huge = JSON.stringify({
      url: 'http://www.hostile0.com/huge',
      appid: 'app',
      crawlid: 'huge',
      spiderid: spider,
      attrs: { x: 'y'.repeat(50 * 1024 * 1024) },
    });
    const hugeRefused = await producer.send(topic, [huge]).then(
      () => false,
      () => true,
    );

    // The deep and oversized records first, so everything valid after them proves the partition moves.
    await producer.send(topic, [
      deep(5000),
      JSON.stringify({
        url: 'http://www.hostile0.com/big',
        appid: 'app',
        crawlid: 'big',
        spiderid: spider,
        attrs: { x: 'z'.repeat(600 * 1024) },
      }),
    ]);
    let sent = hugeRefused ? 2 : 3;
    const records: string[] = [];
    let v = 0;
    for (let m = 0; m < MALFORMED; m++) {
      records.push(MALFORMED_KINDS[m % MALFORMED_KINDS.length]!(m));
      if (m % 5 === 4) records.push(valid(v++));
    }
    for (let i = 0; i < records.length; i += 1000) await producer.send(topic, records.slice(i, i + 1000));
    sent += records.length;

    const store = await connectStore(settings, 'kafka-monitor');
    const bus = await KafkaBus.connect({ brokers: kafkaBrokerList(settings.KAFKA_HOSTS), clientId: id });
    const { logger, lines } = captureLogger('kafka-monitor');
    const monitor = await KafkaMonitor.create({ settings, store, bus, logger });
    await monitor.start();
    try {
      await waitFor(async () => (await members()) >= VALID, 300_000, `all ${VALID} valid requests`);
      const refused = lines.filter((l) => l.valid === false);
      await waitFor(
        () => lines.filter((l) => l.valid === false).length >= sent - VALID,
        60_000,
        'every bad record logged',
      );
      const byMessage = new Map<string, number>();
      for (const l of lines.filter((x) => x.valid === false))
        byMessage.set(l.message, (byMessage.get(l.message) ?? 0) + 1);
      const joined = lines.map((l) => JSON.stringify(l)).join('\n');
      const longest = Math.max(...lines.map((l) => JSON.stringify(l).length));
      console.log(
        `[hostile-input] sent=${sent} valid=${VALID} written=${await members()} refused=${lines.filter((x) => x.valid === false).length} ` +
          `huge-refused-by-producer=${hugeRefused} by-reason=${JSON.stringify(Object.fromEntries(byMessage))} longest-log-line=${longest}`,
      );
      expect(refused.length).toBeGreaterThan(0);
      expect(await members()).toBe(VALID);
      expect(lines.filter((x) => x.valid === false)).toHaveLength(sent - VALID);
      // The deep record and the bad regexes are refused with their cause.
      expect(joined).toContain('nested more than 64 levels deep');
      expect(joined).toContain('allow_regex: pattern \\"(a\\"');
      expect(joined).toContain('Request exceeds the size limit');
      expect(joined).not.toContain(COOKIE.split('=')[1]!);
      expect(longest).toBeLessThan(16 * 1024);
    } finally {
      await monitor.close();
      await bus.close();
      await store.close();
    }
  },
);
