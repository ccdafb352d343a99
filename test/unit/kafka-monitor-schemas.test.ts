/**
 * The four built-in schemas, limit by limit, through the whole monitor on the in-memory store: for every
 * request the test asserts which plugin took it (or that it failed), the exact Redis keys it produced and
 * whether it was counted in `stats:kafka-monitor:fail:<window>`. Each case gets a fresh store, so "no key
 * written" is checked against the whole keyspace. Last, the batch transaction that carries the plugins'
 * writes: how it merges queue pushes without reordering any key's writes.
 */
import { describe, expect, it } from 'vitest';
import type { BusMessage } from '../../src/core/bus/index.js';
import { priorityPush } from '../../src/core/queues/index.js';
import { resolveSettings } from '../../src/settings.js';
import {
  MemoryStore,
  type Arg,
  type Pipeline,
  type Reply,
  type ScriptDef,
} from '../../src/core/store/index.js';
import { KafkaMonitor } from '../../src/kafka-monitor/monitor.js';
import { BatchTransaction } from '../../src/kafka-monitor/transaction.js';
import { captureLogger } from '../support/capture-logger.js';

type Json = Record<string, unknown>;
type Handler = 'ScraperHandler' | 'ActionHandler' | 'StatsHandler' | 'ZookeeperHandler';

interface Case {
  name: string;
  request: unknown;
  /** The plugin that must accept it; absent: every schema rejects it (or its handler refuses it). */
  by?: Handler;
  /** Exact non-stats keys written (values checked where given). */
  keys?: Record<string, string | ((value: string) => void)>;
}

const WINDOW = 900;
const BROKER_MS = 1_700_000_000_123;

function message(value: string, offset: number): BusMessage {
  return {
    topic: 'demo.incoming',
    partition: 0,
    offset: BigInt(offset),
    key: null,
    value,
    timestamp: BROKER_MS,
  };
}

/** Runs one request through a fresh monitor and reports what it left in the store. */
async function runOne(request: unknown, overrides: Json = {}) {
  const settings = resolveSettings('kafka-monitor', {
    env: {},
    overrides: { STATS_DUMP: 0, STATS_TIMES: ['SECONDS_15_MINUTE'], ...overrides },
  });
  const store = new MemoryStore();
  const { logger, lines } = captureLogger('kafka-monitor');
  const monitor = await KafkaMonitor.create({ settings, store, bus: undefined as never, logger });
  try {
    const value = typeof request === 'string' ? request : JSON.stringify(request);
    await monitor.processBatch([message(value, 0)]);
    const keys: string[] = [];
    for await (const batch of store.scan('*')) keys.push(...batch.filter((k) => !k.startsWith('stats:')));
    const count = (group: string) => store.zcard(`stats:kafka-monitor:${group}:${WINDOW}`);
    const plugins: Record<string, number> = {};
    for (const name of monitor.pluginNames) plugins[name] = await count(name);
    return {
      store,
      lines,
      keys: keys.sort(),
      fail: await count('fail'),
      total: await count('total'),
      plugins,
    };
  } finally {
    await monitor.close();
  }
}

const crawl = (extra: Json = {}): Json => ({
  url: 'http://www.example.com/a',
  appid: 'app',
  crawlid: 'c1',
  ...extra,
});
const action = (extra: Json = {}): Json => ({
  uuid: 'u1',
  appid: 'app',
  spiderid: 'link',
  action: 'info',
  ...extra,
});
const stats = (extra: Json = {}): Json => ({ uuid: 'u1', appid: 'app', ...extra });
const zk = (extra: Json = {}): Json => ({
  uuid: 'u1',
  appid: 'app',
  domain: 'example.com',
  action: 'domain-remove',
  ...extra,
});
const s = (n: number) => 'x'.repeat(n);
const QUEUE = 'link:example.com:queue';

/** A crawl case that is queued (and nothing else, unless `keys` says so). */
const queued = (name: string, extra: Json, keys: Case['keys'] = { [QUEUE]: () => undefined }): Case => ({
  name,
  request: crawl(extra),
  by: 'ScraperHandler',
  keys,
});
const rejected = (name: string, request: unknown): Case => ({ name, request });

const scraperCases: Case[] = [
  queued('minimal request', {}),
  rejected('missing url', { appid: 'app', crawlid: 'c1' }),
  rejected('missing appid', { url: 'http://example.com', crawlid: 'c1' }),
  rejected('missing crawlid', { url: 'http://example.com', appid: 'app' }),
  rejected('url empty', crawl({ url: '' })),
  rejected('url not a string', crawl({ url: 5 })),
  rejected('url without a domain', crawl({ url: 'not a url' })),
  rejected('appid of 2 characters', crawl({ appid: s(2) })),
  queued('appid of 3 characters', { appid: s(3) }),
  queued('appid of 40 characters', { appid: s(40) }),
  rejected('appid of 41 characters', crawl({ appid: s(41) })),
  rejected('appid with a colon', crawl({ appid: 'ap:p' })),
  rejected('crawlid empty', crawl({ crawlid: '' })),
  queued('crawlid of 1 character', { crawlid: 'c' }),
  queued('crawlid of 40 characters', { crawlid: s(40) }),
  rejected('crawlid of 41 characters', crawl({ crawlid: s(41) })),
  rejected('crawlid with a colon', crawl({ crawlid: 'c:1' })),
  queued('spiderid set', { spiderid: 'wandering' }, { 'wandering:example.com:queue': () => undefined }),
  rejected('spiderid empty', crawl({ spiderid: '' })),
  rejected('spiderid with a colon', crawl({ spiderid: 'li:nk' })),
  rejected('priority 0', crawl({ priority: 0 })),
  queued('priority 1', { priority: 1 }),
  queued('priority 100', { priority: 100 }),
  rejected('priority 101', crawl({ priority: 101 })),
  rejected('priority not an integer', crawl({ priority: 2.5 })),
  rejected('priority as a string', crawl({ priority: '5' })),
  rejected('priority as a boolean', crawl({ priority: true })),
  rejected('maxdepth -1', crawl({ maxdepth: -1 })),
  queued('maxdepth 0', { maxdepth: 0 }),
  queued('maxdepth 3', { maxdepth: 3 }),
  rejected('maxdepth 4', crawl({ maxdepth: 4 })),
  rejected('domain_max_pages -1', crawl({ domain_max_pages: -1 })),
  queued('domain_max_pages 0', { domain_max_pages: 0 }),
  queued('domain_max_pages 2000', { domain_max_pages: 2000 }),
  rejected('domain_max_pages 2001', crawl({ domain_max_pages: 2001 })),
  ...(['allowed_domains', 'allow_regex', 'deny_regex', 'deny_extensions'] as const).flatMap((field) => [
    queued(`${field} with unique strings`, { [field]: ['a', 'b'] }),
    queued(`${field} empty`, { [field]: [] }),
    rejected(`${field} with duplicates`, crawl({ [field]: ['a', 'a'] })),
    rejected(`${field} with a number`, crawl({ [field]: [1] })),
    rejected(`${field} as a string`, crawl({ [field]: 'a' })),
  ]),
  queued('expires 0 writes no timeout key', { expires: 0 }),
  queued(
    'expires set writes the timeout key',
    { expires: 1999999999 },
    { [QUEUE]: () => undefined, 'timeout:link:app:c1': '1999999999' },
  ),
  queued(
    'negative expires is not 0 either',
    { expires: -1 },
    { [QUEUE]: () => undefined, 'timeout:link:app:c1': '-1' },
  ),
  rejected('expires not an integer', crawl({ expires: 1.5 })),
  rejected('expires as a string', crawl({ expires: '100' })),
  ...(['useragent', 'cookie'] as const).flatMap((field) => [
    rejected(`${field} of 2 characters`, crawl({ [field]: s(2) })),
    queued(`${field} of 3 characters`, { [field]: s(3) }),
    queued(`${field} of 1000 characters`, { [field]: s(1000) }),
    rejected(`${field} of 1001 characters`, crawl({ [field]: s(1001) })),
  ]),
  queued('attrs object', { attrs: { a: [1, { b: null }] } }),
  rejected('attrs array', crawl({ attrs: [] })),
  rejected('attrs string', crawl({ attrs: 'x' })),
  rejected('unknown key', crawl({ client_id: 'x' })),
  rejected('uuid is not a crawl field', crawl({ uuid: 'u1' })),
];

const actionCases: Case[] = [
  { name: 'info without crawlid', request: action(), by: 'ActionHandler', keys: { 'info:link:app': 'u1' } },
  {
    name: 'stop with crawlid',
    request: action({ action: 'stop', crawlid: 'c9' }),
    by: 'ActionHandler',
    keys: { 'stop:link:app:c9': 'u1' },
  },
  rejected('unknown action', action({ action: 'pause' })),
  rejected('missing action', { uuid: 'u1', appid: 'app', spiderid: 'link' }),
  rejected('missing spiderid', { uuid: 'u1', appid: 'app', action: 'info' }),
  rejected('missing uuid', { appid: 'app', spiderid: 'link', action: 'info' }),
  rejected('uuid empty', action({ uuid: '' })),
  {
    name: 'uuid of 40 characters',
    request: action({ uuid: s(40) }),
    by: 'ActionHandler',
    keys: { 'info:link:app': s(40) },
  },
  rejected('uuid of 41 characters', action({ uuid: s(41) })),
  rejected('appid of 2 characters', action({ appid: s(2) })),
  rejected('appid of 41 characters', action({ appid: s(41) })),
  rejected('crawlid empty', action({ crawlid: '' })),
  rejected('crawlid of 41 characters', action({ crawlid: s(41) })),
  rejected('appid with a colon', action({ appid: 'ap:p' })),
  rejected('spiderid with a colon', action({ spiderid: 'li:nk' })),
  rejected('crawlid with a colon', action({ crawlid: 'c:9' })),
  rejected('unknown key', action({ extra: true })),
];

const statsCases: Case[] = [
  {
    name: 'stats defaults to all',
    request: stats(),
    by: 'StatsHandler',
    keys: { 'statsrequest:all:app': 'u1' },
  },
  ...['kafka-monitor', 'redis-monitor', 'crawler', 'spider', 'machine', 'queue', 'rest', 'all'].map(
    (kind): Case => ({
      name: `stats ${kind}`,
      request: stats({ stats: kind }),
      by: 'StatsHandler',
      keys: { [`statsrequest:${kind}:app`]: 'u1' },
    }),
  ),
  rejected('unknown stats type', stats({ stats: 'everything' })),
  rejected('missing uuid', { appid: 'app' }),
  rejected('missing appid', { uuid: 'u1' }),
  rejected('uuid of 41 characters', stats({ uuid: s(41) })),
  rejected('appid of 2 characters', stats({ appid: s(2) })),
  rejected('appid with a colon', stats({ appid: 'ap:p' })),
  rejected('unknown key', stats({ spiderid: 'link' })),
];

const zkValue =
  (expected: Json) =>
  (value: string): void =>
    expect(JSON.parse(value)).toEqual(expected);

const zookeeperCases: Case[] = [
  {
    name: 'domain-update with hits and window, default scale',
    request: zk({ action: 'domain-update', hits: 10, window: 60 }),
    by: 'ZookeeperHandler',
    keys: {
      'zk:domain-update:example.com:app': zkValue({
        domain: 'example.com',
        uuid: 'u1',
        hits: 10,
        window: 60,
        scale: 1,
      }),
    },
  },
  {
    name: 'domain-update with scale 0',
    request: zk({ action: 'domain-update', hits: 10, window: 60, scale: 0 }),
    by: 'ZookeeperHandler',
    keys: {
      'zk:domain-update:example.com:app': zkValue({
        domain: 'example.com',
        uuid: 'u1',
        hits: 10,
        window: 60,
        scale: 0,
      }),
    },
  },
  rejected('domain-update without hits and window', zk({ action: 'domain-update' })),
  rejected('domain-update with hits 0', zk({ action: 'domain-update', hits: 0, window: 60 })),
  rejected('domain-update with window 0', zk({ action: 'domain-update', hits: 10, window: 0 })),
  ...['domain-remove', 'blacklist-update', 'blacklist-remove'].map((act): Case => ({
    name: act,
    request: zk({ action: act }),
    by: 'ZookeeperHandler',
    keys: { [`zk:${act}:example.com:app`]: zkValue({ domain: 'example.com', uuid: 'u1' }) },
  })),
  rejected('unknown action', zk({ action: 'domain-rename' })),
  rejected('missing domain', { uuid: 'u1', appid: 'app', action: 'domain-remove' }),
  rejected('domain with a colon', zk({ domain: 'example.com:80' })),
  rejected('scale below 0', zk({ action: 'domain-update', hits: 1, window: 1, scale: -0.1 })),
  rejected('scale above 1', zk({ action: 'domain-update', hits: 1, window: 1, scale: 1.1 })),
  rejected('hits not an integer', zk({ action: 'domain-update', hits: 1.5, window: 1 })),
  rejected('window as a string', zk({ action: 'domain-update', hits: 1, window: '60' })),
  rejected('appid of 41 characters', zk({ appid: s(41) })),
  rejected('unknown key', zk({ crawlid: 'c1' })),
];

const shapeCases: Case[] = [
  rejected('not JSON', '{"url": '),
  rejected('a JSON array', '[1, 2]'),
  rejected('a JSON string', '"http://example.com"'),
  rejected('a JSON number', '42'),
  rejected('JSON null', 'null'),
  rejected('an empty object', {}),
];

async function check(c: Case): Promise<void> {
  const result = await runOne(c.request);
  expect(result.total).toBe(1);
  if (c.by === undefined) {
    expect(result.keys, 'a rejected request writes nothing').toEqual([]);
    expect(result.fail).toBe(1);
    return;
  }
  expect(result.fail).toBe(0);
  for (const [name, hits] of Object.entries(result.plugins)) expect(hits, name).toBe(name === c.by ? 1 : 0);
  const expected = c.keys ?? {};
  expect(result.keys).toEqual(Object.keys(expected).sort());
  for (const [key, value] of Object.entries(expected)) {
    if (key.endsWith(':queue')) {
      const [entry] = await result.store.zrangeWithScores(key, 0, -1);
      const request = c.request as Json;
      expect(Math.floor(entry!.score)).toBe(-((request.priority as number | undefined) ?? 1));
      const member = JSON.parse(entry!.member) as Json;
      expect(member).toMatchObject(request);
      expect(member.ts).toBe(BROKER_MS / 1000);
    } else if (typeof value === 'function') value((await result.store.get(key))!);
    else expect(await result.store.get(key)).toBe(value);
  }
}

describe('Kafka Monitor schemas', () => {
  describe.each([
    ['scraper_schema', scraperCases],
    ['action_schema', actionCases],
    ['stats_schema', statsCases],
    ['zookeeper_schema', zookeeperCases],
    ['any schema', shapeCases],
  ] as const)('%s', (_schema, cases) => {
    it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => check(c));
  });

  it('fills every crawl default, in schema order after the request keys, plus ts', async () => {
    const result = await runOne(crawl({ priority: 7 }));
    const [entry] = await result.store.zrangeWithScores(QUEUE, 0, -1);
    const member = JSON.parse(entry!.member) as Json;
    expect(Object.entries(member)).toEqual([
      ['url', 'http://www.example.com/a'],
      ['appid', 'app'],
      ['crawlid', 'c1'],
      ['priority', 7],
      ['spiderid', 'link'],
      ['maxdepth', 0],
      ['domain_max_pages', null],
      ['allowed_domains', null],
      ['allow_regex', null],
      ['deny_regex', null],
      ['deny_extensions', null],
      ['expires', 0],
      ['useragent', null],
      ['cookie', null],
      ['attrs', null],
      ['ts', BROKER_MS / 1000],
    ]);
  });

  it('fails a request above KAFKA_CONSUMER_FETCH_MESSAGE_MAX_BYTES without parsing it', async () => {
    const request = crawl({ attrs: { pad: s(600) } });
    const small = await runOne(request, { KAFKA_CONSUMER_FETCH_MESSAGE_MAX_BYTES: 512 });
    expect(small.keys).toEqual([]);
    expect(small.fail).toBe(1);
    expect(small.lines.find((l) => l.message === 'Request exceeds the size limit')).toMatchObject({
      limit: 512,
      parsed: false,
    });
    const large = await runOne(request, { KAFKA_CONSUMER_FETCH_MESSAGE_MAX_BYTES: 4096 });
    expect(large.keys).toEqual([QUEUE]);
    expect(large.fail).toBe(0);
  });

  it('logs a rejected request with the original messages and extras', async () => {
    const bad = await runOne('{"url": ');
    expect(bad.lines.find((l) => l.message === 'Unparseable JSON Received')).toMatchObject({
      level: 'WARNING',
      parsed: false,
      valid: false,
      data: '{"url": ',
    });
    const unknown = await runOne(crawl({ client_id: 'x' }));
    expect(unknown.lines.find((l) => l.message === 'Did not find schema to validate request')).toMatchObject({
      level: 'WARNING',
      parsed: true,
      valid: false,
      data: crawl({ client_id: 'x' }),
    });
    const noHits = await runOne(zk({ action: 'domain-update' }));
    expect(
      noHits.lines.find((l) => l.message === "'hits' and 'window' not set for domain update"),
    ).toMatchObject({ level: 'ERROR', plugin: 'ZookeeperHandler' });
  });
});

/** A pipeline that records what it is given and answers OK (or the given error) for each command. */
function recordingPipeline(fail?: Error) {
  const sent: (string | [string, string[], Arg[]])[][] = [];
  const entries: (string | [string, string[], Arg[]])[] = [];
  const pipeline: Pipeline = {
    call(command: string, ...args: Arg[]) {
      entries.push([command, ...args].join(' '));
      return this;
    },
    run(script: ScriptDef, keys: string[], args: Arg[]) {
      entries.push([script.name, keys, args]);
      return this;
    },
    get length() {
      return entries.length;
    },
    async exec(): Promise<(Reply | Error)[]> {
      sent.push(entries.splice(0));
      return sent.at(-1)!.map((_, i) => (fail && i === 0 ? fail : 'OK'));
    },
  };
  return { pipeline, sent };
}

describe('BatchTransaction', () => {
  it('merges the pushes onto one queue, and the plain SETs, each into one call where the first was', async () => {
    const { pipeline, sent } = recordingPipeline();
    const tx = new BatchTransaction(pipeline);
    tx.run(priorityPush, ['q:a'], [1, 'a1']);
    tx.call('SET', 'timeout:x', '5');
    tx.run(priorityPush, ['q:b'], [2, 'b1']);
    tx.run(priorityPush, ['q:a'], [3, 'a2']);
    tx.call('SET', 'info:y', 'u');
    tx.call('SET', 'ttl:z', 'v', 'EX', 10);
    tx.run(priorityPush, ['q:a'], [1, 'a3']);
    await tx.commit();
    expect(sent).toEqual([
      [
        ['priority-push', ['q:a'], [1, 'a1', 3, 'a2', 1, 'a3']],
        'MSET timeout:x 5 info:y u',
        ['priority-push', ['q:b'], [2, 'b1']],
        'SET ttl:z v EX 10',
      ],
    ]);
  });

  it('does not move a write across another write naming its key', async () => {
    const { pipeline, sent } = recordingPipeline();
    const tx = new BatchTransaction(pipeline);
    tx.run(priorityPush, ['q:a'], [1, 'a1']);
    tx.call('SET', 'k', '1');
    tx.call('DEL', 'q:a', 'k');
    tx.run(priorityPush, ['q:a'], [1, 'a2']);
    tx.call('SET', 'k', '2');
    tx.call('SET', 'other', '3');
    tx.run(priorityPush, ['q:a'], [1, 'a3']);
    await tx.commit();
    expect(sent).toEqual([
      [
        ['priority-push', ['q:a'], [1, 'a1']],
        'SET k 1',
        'DEL q:a k',
        ['priority-push', ['q:a'], [1, 'a2', 1, 'a3']],
        'MSET k 2 other 3',
      ],
    ]);
  });

  it('runs afterCommit callbacks only once the writes succeeded, and throws the first failure', async () => {
    const failing = recordingPipeline(new Error('READONLY'));
    const ran: string[] = [];
    const tx = new BatchTransaction(failing.pipeline);
    tx.call('SET', 'k', 'v');
    tx.afterCommit(() => ran.push('logged'));
    await expect(tx.commit()).rejects.toThrow('READONLY');
    expect(ran).toEqual([]);

    const ok = recordingPipeline();
    const retry = new BatchTransaction(ok.pipeline);
    retry.call('SET', 'k', 'v');
    retry.afterCommit(() => ran.push('logged'));
    await retry.commit();
    expect(ran).toEqual(['logged']);
  });

  it('keeps equal priorities first in, first out, and sets every key, on a real store', async () => {
    const store = new MemoryStore();
    const tx = new BatchTransaction(store.pipeline());
    for (const [priority, member] of [
      [5, 'first'],
      [9, 'urgent'],
      [5, 'second'],
      [5, 'third'],
    ] as const) {
      tx.run(priorityPush, ['q'], [priority, member]);
      tx.call('SET', `seen:${member}`, String(priority));
    }
    await tx.commit();
    const popped = await store.zpopmin('q', 4);
    expect(popped.map((e) => e.member)).toEqual(['urgent', 'first', 'second', 'third']);
    expect(popped.map((e) => Math.floor(e.score))).toEqual([-9, -5, -5, -5]);
    expect(await store.mget(['seen:first', 'seen:urgent', 'seen:second', 'seen:third'])).toEqual([
      '5',
      '9',
      '5',
      '5',
    ]);
  });
});
