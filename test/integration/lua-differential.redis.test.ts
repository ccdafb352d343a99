/**
 * Each script's Lua (on the real Redis) and its in-memory twin (on the memory engine) agree: fast-check
 * generates key-space states and arguments, both run, and the replies and the resulting key spaces
 * (every key's type, value and whether it expires, the expiry within a second) must be equal. Scripts that
 * read the server clock (TIME) run on two clocks a few milliseconds apart: their numbers (scores, times,
 * waits) are compared within 0.25 s, everything else exactly; generated times are taken from the clock
 * when a case is made and kept far from every boundary the script tests (window ends, expiries), so the
 * milliseconds between the two runs never decide. Engine differences normalised, not compared: zset
 * scores as numbers (Redis prints %.17g), SCAN page sizes (COUNT covers the whole small collection), and
 * a throttle window member `<time>:<hit id>` is split so its time is compared as a number. SCAN order is
 * not normalised: it differs between the engines, so no reply may depend on it (crawl-tally sorts its
 * groups by crawlid and reports each group's largest `expires`). A lease record (JSON written by cjson on
 * Redis, JSON.stringify in the twin) is compared decoded. Every registered script is covered; lease-pop
 * and enqueue also with several attempts or requests per call, which exercises their per-call caches.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore, RedisStore, type Store } from '../../src/core/store/index.js';
import type { Reply, ScriptDef } from '../../src/core/store/types.js';
import { lockAcquire, lockRelease, lockRenew } from '../../src/core/lock/scripts.js';
import { counterIncr } from '../../src/core/stats/scripts.js';
import {
  crawlDelaySlot,
  domainHold,
  enqueue,
  leaseAckMany,
  leaseRequeue,
  leasePop,
  leaseReturn,
} from '../../src/crawler/frontier/scripts.js';
import { crawlPurge, crawlTally, jobDone, jobFailed, leasePurge } from '../../src/redis-monitor/scripts.js';
import { throttlePop } from '../../src/core/throttle/scripts.js';
import { priorityPush } from '../../src/core/queues/scripts.js';
import { windowedHits } from '../../src/core/stats/scripts.js';
import { crawlFinished } from '../../src/core/crawl-status/scripts.js';
import { servicesEnv } from '../support/services.js';
import { TEST_REDIS_DBS } from '../support/redis-dbs.js';

/** A Redis database of this file's own: it is emptied before every run. */
const DB = TEST_REDIS_DBS.luaDifferential;
const RUNS = 200;

type Value =
  | { type: 'string'; value: string; ttlMs?: number }
  | { type: 'hash'; value: Record<string, string> }
  | { type: 'zset'; value: [string, number][] }
  | { type: 'set'; value: string[] }
  | { type: 'list'; value: string[] };

type State = Record<string, Value>;

let redis: RedisStore;

async function load(store: Store, state: State): Promise<void> {
  for (const [key, v] of Object.entries(state)) {
    if (v.type === 'string') {
      if (v.ttlMs) await store.call('SET', key, v.value, 'PX', v.ttlMs);
      else await store.call('SET', key, v.value);
    } else if (v.type === 'hash') {
      if (Object.keys(v.value).length > 0) await store.call('HSET', key, ...Object.entries(v.value).flat());
    } else if (v.type === 'set') {
      if (v.value.length > 0) await store.call('SADD', key, ...v.value);
    } else if (v.type === 'list') {
      if (v.value.length > 0) await store.call('RPUSH', key, ...v.value);
    } else if (v.value.length > 0) {
      await store.call('ZADD', key, ...v.value.flatMap(([m, s]) => [s, m]));
    }
  }
}

/** Every key of the store: type, value, and time to live (ms, -1 for none). */
async function dump(store: Store): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  let cursor = '0';
  const keys: string[] = [];
  do {
    const [next, batch] = (await store.call('SCAN', cursor, 'COUNT', 1000)) as [string, string[]];
    cursor = String(next);
    keys.push(...batch);
  } while (cursor !== '0');
  for (const key of keys.sort()) {
    const type = String(await store.call('TYPE', key));
    // A HyperLogLog's bytes are the engine's own; what it counts is the meaning.
    const value = key.startsWith('hll:')
      ? await store.call('PFCOUNT', key)
      : type === 'string'
        ? await store.call('GET', key)
        : type === 'hash'
          ? Object.fromEntries(chunk((await store.call('HGETALL', key)) as string[]))
          : type === 'zset'
            ? // Scores as numbers: Redis prints 0.1 as 0.10000000000000001 (%.17g), the engine as 0.1.
              chunk((await store.call('ZRANGE', key, 0, -1, 'WITHSCORES')) as string[]).map(([m, sc]) => [
                m,
                Number(sc),
              ])
            : type === 'set'
              ? ((await store.call('SMEMBERS', key)) as string[]).sort()
              : await store.call('LRANGE', key, 0, -1);
    const ttl = Number(await store.call('PTTL', key));
    out[key] = { type, value, ttl: ttl < 0 ? -1 : Math.round(ttl / 1000) };
  }
  return out;
}

const NUMBER = /^-?\d+(\.\d+)?$/;

/**
 * Where two results differ: numbers and numeric strings within 0.25 (the two stores' clocks are a few ms
 * apart; seconds, and queue scores whose fraction counts 64 µs ticks), TTLs in seconds within 1, the rest
 * exactly.
 */
function differences(a: unknown, b: unknown, path = '$'): string[] {
  const numeric = (x: unknown) => typeof x === 'number' || (typeof x === 'string' && NUMBER.test(x));
  if (numeric(a) && numeric(b)) {
    const tolerance = path.endsWith('.ttl') ? 1 : 0.25;
    return Math.abs(Number(a) - Number(b)) <= tolerance ? [] : [`${path}: ${String(a)} != ${String(b)}`];
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) =>
      differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`),
    );
  }
  return Object.is(a, b) ? [] : [`${path}: ${JSON.stringify(a)} != ${JSON.stringify(b)}`];
}

function chunk(flat: string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([flat[i]!, flat[i + 1]!]);
  return pairs;
}

async function outcome(store: Store, script: ScriptDef, state: State, keys: string[], argv: string[]) {
  await load(store, state);
  let reply: Reply | { error: true };
  try {
    reply = await store.run(script, keys, argv);
  } catch {
    reply = { error: true };
  }
  return { reply, keyspace: await dump(store) };
}

/** Runs `script` on both stores for every generated case and compares what they end with. */
async function agree(
  script: ScriptDef,
  cases: fc.Arbitrary<{ state: State; keys: string[]; argv: string[] }>,
  normalise: (keyspace: Record<string, unknown>) => Record<string, unknown> = (k) => k,
): Promise<void> {
  await fc.assert(
    fc.asyncProperty(cases, async ({ state, keys, argv }) => {
      await redis.call('FLUSHDB');
      const real = await outcome(redis, script, state, keys, argv);
      const twin = await outcome(new MemoryStore(), script, state, keys, argv);
      real.keyspace = normalise(real.keyspace);
      twin.keyspace = normalise(twin.keyspace);
      expect(differences(twin, real)).toEqual([]);
    }),
    { numRuns: RUNS },
  );
}

const small = (values: string[]) => fc.constantFrom(...values);
const maybeString = (values: string[], ttl = false): fc.Arbitrary<Value | null> =>
  fc.option(
    fc.record({
      type: fc.constant('string' as const),
      value: small(values),
      ...(ttl ? { ttlMs: fc.constantFrom(5000, 60000) } : {}),
    }),
    { nil: null },
  );

function stateOf(entries: Record<string, Value | null>): State {
  return Object.fromEntries(Object.entries(entries).filter((e): e is [string, Value] => e[1] !== null));
}

beforeAll(async () => {
  const env = servicesEnv();
  redis = await RedisStore.connect({ host: env.REDIS_HOST, port: env.REDIS_PORT, db: DB });
});

afterAll(async () => {
  await redis?.call('FLUSHDB');
  await redis?.close();
});

describe('Lua scripts and their in-memory twins agree', () => {
  it('lock acquire, release and renew', async () => {
    const lockState = fc.record({
      lock: maybeString(['owner-a', 'owner-b'], true),
      signal: fc.option(fc.record({ type: fc.constant('string' as const), value: small(['1']) }), {
        nil: null,
      }),
    });
    await agree(
      lockAcquire,
      fc
        .record({ s: lockState, owner: small(['owner-a', 'owner-b']), ms: fc.constantFrom('1000', '30000') })
        .map(({ s, owner, ms }) => ({
          state: stateOf({ 'lock:j': s.lock }),
          keys: ['lock:j'],
          argv: [owner, ms],
        })),
    );
    await agree(
      lockRelease,
      fc.record({ s: lockState, owner: small(['owner-a', 'owner-b']) }).map(({ s, owner }) => ({
        state: stateOf({ 'lock:j': s.lock, 'lock-signal:j': s.signal }),
        keys: ['lock:j', 'lock-signal:j'],
        argv: [owner],
      })),
    );
    await agree(
      lockRenew,
      fc
        .record({ s: lockState, owner: small(['owner-a', 'owner-b']), ms: fc.constantFrom('2000', '90000') })
        .map(({ s, owner, ms }) => ({
          state: stateOf({ 'lock:j': s.lock }),
          keys: ['lock:j'],
          argv: [owner, ms],
        })),
    );
  });

  it('counter-incr', async () => {
    await agree(
      counterIncr,
      fc
        .record({
          counter: maybeString(['0', '7', '-3', 'x']),
          start: fc.integer({ min: -5, max: 5 }),
          by: fc.integer({ min: 0, max: 3 }),
        })
        .map(({ counter, start, by }) => ({
          state: stateOf({ c: counter }),
          keys: ['c'],
          argv: [String(start), String(by)],
        })),
    );
  });

  it('job-done and job-failed', async () => {
    const jobState = fc.record({
      job: maybeString(['uuid-1', 'uuid-2']),
      failures: maybeString(['1', '2', '5']),
    });
    await agree(
      jobDone,
      fc.record({ s: jobState, value: small(['uuid-1', 'uuid-2']) }).map(({ s, value }) => ({
        state: stateOf({ 'info:l:a': s.job, 'lock:info:l:a:failures': s.failures }),
        keys: ['info:l:a', 'lock:info:l:a:failures'],
        argv: [value],
      })),
    );
    await agree(
      jobFailed,
      fc
        .record({
          s: jobState,
          value: small(['uuid-1', 'uuid-2']),
          max: fc.integer({ min: 0, max: 4 }),
          retry: small(['0', '1']),
        })
        .map(({ s, value, max, retry }) => ({
          state: stateOf({ 'info:l:a': s.job, 'lock:info:l:a:failures': s.failures }),
          keys: ['info:l:a', 'lock:info:l:a:failures'],
          argv: [value, String(max), retry],
        })),
    );
  });

  it('lease-ack-many', async () => {
    const ids = ['l1', 'l2', 'l3'];
    const ack = fc.record({
      id: small(ids),
      outcome: small(['published', 'failed', '']),
      stats: fc.constantFrom(4, 5),
      attempts: small(['', 'sha-a', 'sha-b']),
    });
    await agree(
      leaseAckMany,
      fc
        .record({
          leased: fc.subarray(ids),
          acks: fc.array(ack, { minLength: 1, maxLength: 5 }),
          attempts: fc.subarray(['sha-a', 'sha-b']),
          counted: fc.option(fc.integer({ min: 1, max: 3 }), { nil: null }),
        })
        .map(({ leased, acks, attempts, counted }) => ({
          state: stateOf({
            'sp:leased': {
              type: 'hash',
              value: Object.fromEntries(leased.map((id) => [id, `{"queue":"q","item":"${id}"}`])),
            },
            'sp:leases': { type: 'zset', value: leased.map((id, i) => [id, 1000 + i]) },
            'sp:attempts': { type: 'hash', value: Object.fromEntries(attempts.map((a) => [a, '1'])) },
            'crawlstats:sp:app:c1':
              counted === null ? null : { type: 'hash', value: { published: String(counted) } },
          }),
          keys: ['sp:leased', 'sp:leases', 'sp:attempts', 'crawlstats:sp:app:c1', 'crawlstats:sp:app:c2'],
          argv: ['3600', ...acks.flatMap((a) => [a.id, a.outcome, String(a.stats), a.attempts])],
        })),
    );
  });

  it('lease-ack-many with thousands of leases in one call, some named twice or not held', async () => {
    const leased = Array.from({ length: 2345 }, (_, i) => `l${i}`);
    const acks = [...leased, 'l7', 'l1999', 'gone'];
    const state = stateOf({
      'sp:leased': {
        type: 'hash',
        value: Object.fromEntries(leased.map((id) => [id, `{"queue":"q","item":"${id}"}`])),
      },
      'sp:leases': { type: 'zset', value: leased.map((id, i) => [id, 1000 + i]) },
      'sp:attempts': { type: 'hash', value: Object.fromEntries(leased.map((id) => [`sha-${id}`, '1'])) },
    });
    const keys = ['sp:leased', 'sp:leases', 'sp:attempts', 'crawlstats:sp:app:c1'];
    const argv = ['3600', ...acks.flatMap((id) => [id, 'published', '4', `sha-${id}`])];
    await redis.call('FLUSHDB');
    const real = await outcome(redis, leaseAckMany, state, keys, argv);
    const twin = await outcome(new MemoryStore(), leaseAckMany, state, keys, argv);
    expect(differences(twin, real)).toEqual([]);
    const held = real.reply as number[];
    expect(held.length).toBe(acks.length);
    expect(held.filter((h) => h === 1).length).toBe(leased.length);
    expect(held.slice(-3)).toEqual([0, 0, 0]);
    expect(Object.keys(real.keyspace)).toEqual(['crawlstats:sp:app:c1']);
  });

  it('domain-hold and crawl-delay-slot (clock-dependent)', async () => {
    const now = Date.now() / 1000;
    const at = (offset: number) => (now + offset).toFixed(6);
    await agree(
      domainHold,
      fc
        .record({
          current: fc.option(fc.constantFrom(-5, 2, 60), { nil: null }),
          listed: fc.boolean(),
          seconds: fc.constantFrom(1, 5, 30),
        })
        .map(({ current, listed, seconds }) => ({
          state: stateOf({
            't:a.com:hold': current === null ? null : { type: 'string', value: at(current), ttlMs: 90_000 },
            'sp:holds': listed ? { type: 'hash', value: { 'b.com': at(10) } } : null,
          }),
          keys: ['t:a.com:hold', 'sp:holds'],
          argv: [String(seconds), 'a.com'],
        })),
    );
    await agree(
      crawlDelaySlot,
      fc
        .record({
          next: fc.option(fc.constantFrom(-3, 1, 4), { nil: null }),
          delay: fc.constantFrom('0.5', '2'),
        })
        .map(({ next, delay }) => ({
          state: stateOf({
            't:a.com:crawl_delay_next':
              next === null ? null : { type: 'string', value: at(next), ttlMs: 10_000 },
          }),
          keys: ['t:a.com:crawl_delay_next'],
          argv: [delay],
        })),
    );
  });

  /** A domain queue's state and one enqueue call's keys and arguments (enqueue.lua's KEYS[1..5], ARGV[1..11]). */
  const enqueueCase = fc
    .record({
      stopped: fc.boolean(),
      seen: fc.subarray(['fp1', 'fp2']),
      queued: fc.subarray([1, 5, 9]),
      pages: fc.option(fc.constantFrom('1', '2', '5'), { nil: null }),
      fingerprint: fc.constantFrom('', 'fp1', 'fp3'),
      expires: fc.constantFrom(0, -100, 100),
      domainLimit: fc.constantFrom(0, 2, 3),
      globalLimit: fc.constantFrom(0, 3),
      priority: fc.constantFrom(1, 5, 9),
    })
    .map((c) => ({
      state: stateOf({
        'sp:blacklist': { type: 'set', value: c.stopped ? ['app||c1'] : ['app||other'] },
        'sp:dupefilter:c1': { type: 'set', value: c.seen },
        'sp:a.com:queue': {
          type: 'zset',
          value: c.queued.map((p, i) => [`{"url":"http://a.com/q${i}"}`, -p + 0.1 * (i + 1)]),
        },
        'sp:domain_max_page_filter:a.com:c1': c.pages === null ? null : { type: 'string', value: c.pages },
      }),
      keys: [
        'sp:dupefilter:c1',
        'sp:a.com:queue',
        'sp:blacklist',
        'sp:domain_max_page_filter:a.com:c1',
        'sp:global_page_count_filter:a.com:c1',
      ],
      argv: [
        c.fingerprint,
        '600',
        'app||c1',
        String(c.expires === 0 ? 0 : Math.round(Date.now() / 1000) + c.expires),
        String(c.domainLimit),
        '600',
        String(c.globalLimit),
        '600',
        String(c.priority),
        '{"url":"http://a.com/new"}',
        '',
      ],
    }));

  it('enqueue (clock-dependent: expiry, FIFO scores)', async () => {
    await agree(enqueue, enqueueCase);
  });

  it('lease-requeue (clock-dependent, through the enqueue snippet)', async () => {
    await agree(
      leaseRequeue,
      fc
        .record({ q: enqueueCase, held: fc.boolean(), attempts: fc.constantFrom('', 'sha-a') })
        .map(({ q, held, attempts }) => ({
          state: {
            ...q.state,
            ...stateOf({
              'sp:leased': held ? { type: 'hash', value: { l1: '{"queue":"sp:a.com:queue"}' } } : null,
              'sp:leases': held ? { type: 'zset', value: [['l1', 1000]] } : null,
              'sp:attempts': { type: 'hash', value: { 'sha-a': '1', 'sha-b': '2' } },
            }),
          },
          keys: ['sp:leased', 'sp:leases', 'sp:attempts', ...q.keys],
          argv: ['l1', attempts, ...q.argv],
        })),
    );
  });

  it('lease-return (clock-dependent: lease expiry)', async () => {
    const items = ['{"url":"http://a.com/1"}', '{"url":"http://a.com/2"}'];
    const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');
    await agree(
      leaseReturn,
      fc
        .record({
          // The lease record of l1: absent, junk, or one naming this queue or another, score as Redis
          // text or as a JSON number.
          record: fc.option(
            fc.oneof(
              { weight: 1, arbitrary: fc.constant('not json') },
              {
                weight: 6,
                arbitrary: fc
                  .record({
                    queue: small(['sp:a.com:queue', 'sp:b.com:queue']),
                    score: fc.constantFrom<string | number>('-5', '-1.25', -3, -0.5000001),
                    item: small(items),
                  })
                  .map((r) => JSON.stringify({ ...r, owner: 'w', expires: 1000 })),
              },
              {
                // Not as lease-pop writes them: no score, or the item decoded (the Lua fails on both).
                weight: 1,
                arbitrary: fc.constantFrom(
                  JSON.stringify({ queue: 'sp:a.com:queue', item: items[0] }),
                  JSON.stringify({ queue: 'sp:a.com:queue', score: '-2', item: JSON.parse(items[0]!) }),
                ),
              },
            ),
            { nil: null },
          ),
          // Seconds from now the lease expires (null: no expiry entry).
          expiry: fc.option(fc.constantFrom(-30, 30), { nil: null }),
          queued: fc.subarray(items),
          attempts: fc.subarray(items),
          leaseId: fc.constantFrom('l1', 'l1', 'l1', 'l2'),
          onlyExpired: small(['0', '1']),
          countAttempt: small(['0', '1']),
        })
        .map((g) => {
          const now = Date.now() / 1000;
          return {
            state: stateOf({
              'sp:leased': g.record === null ? null : { type: 'hash', value: { l1: g.record } },
              'sp:leases': g.expiry === null ? null : { type: 'zset', value: [['l1', now + g.expiry]] },
              'sp:a.com:queue': { type: 'zset', value: g.queued.map((m, i) => [m, -9 + i]) },
              'sp:attempts': {
                type: 'hash',
                value: Object.fromEntries(g.attempts.map((m) => [sha1(m), '2'])),
              },
            }),
            keys: ['sp:leased', 'sp:leases', 'sp:a.com:queue', 'sp:attempts'],
            argv: [g.leaseId, g.onlyExpired, g.countAttempt, '600'],
          };
        }),
    );
  });

  it('throttle-pop (clock-dependent: window, moderation, hit times)', async () => {
    const queueItems = ['i1', 'i2', 'i3'];
    await agree(
      throttlePop,
      fc
        .record({
          // Seconds before now of earlier hits: kept by a 10 s window (0.5, 3), only by a 60 s one (30),
          // by neither (100). Far from every boundary, so the few ms between the two runs never matter.
          hits: fc.uniqueArray(fc.constantFrom(0.5, 3, 30, 100), { maxLength: 3 }),
          // Seconds before now of the last moderated pop.
          last: fc.option(fc.constantFrom(0.5, 4, 25), { nil: null }),
          kind: small(['zset', 'fifo', 'lifo']),
          size: fc.integer({ min: 0, max: 3 }),
          window: small(['10', '60']),
          limit: small(['0', '1', '2', '3']),
          moderate: small(['0', '1']),
          elastic: small(['0', '1']),
          buffer: small(['0', '1']),
          ready: small(['0', '1']),
        })
        .map((g) => {
          const now = Date.now() / 1000;
          const at = (ago: number) => (now - ago).toFixed(6);
          const items = queueItems.slice(0, g.size);
          return {
            state: stateOf({
              'q:throttle_window': {
                type: 'zset',
                value: g.hits.map((ago, i): [string, number] => [`${at(ago)}:h${i}`, Number(at(ago))]),
              },
              'q:throttle_time':
                g.last === null ? null : { type: 'string', value: at(g.last), ttlMs: 90_000 },
              q:
                g.kind === 'zset'
                  ? { type: 'zset', value: items.map((m, i) => [m, i]) }
                  : { type: 'list', value: items },
            }),
            keys: ['q:throttle_window', 'q:throttle_time', 'q'],
            argv: [g.window, g.limit, g.moderate, g.elastic, g.buffer, g.ready, g.kind, 'new'],
          };
        }),
      // A window member is `<time>:<hit id>`: the time is compared as a number, the id exactly.
      (keyspace) => {
        const window = keyspace['q:throttle_window'] as { value: [string, number][] } | undefined;
        if (!window) return keyspace;
        return {
          ...keyspace,
          'q:throttle_window': {
            ...window,
            value: window.value.map(([member, score]) => [member.split(':'), score]),
          },
        };
      },
    );
  });

  it('priority-push (clock-dependent: FIFO scores)', async () => {
    const FIFO_EPOCH = 1704067200;
    const FIFO_TICKS = 35184372088832;
    await agree(
      priorityPush,
      fc
        .record({
          // Members already queued: priority, and seconds from now of their tick (a future tick makes the
          // new members of that priority follow it, one tick apart).
          queued: fc.array(fc.record({ priority: fc.constantFrom(1, 5), at: fc.constantFrom(-1, 10) }), {
            maxLength: 3,
          }),
          pushes: fc.array(
            fc.record({
              priority: fc.oneof(
                { weight: 9, arbitrary: small(['1', '5', '-2', '2.5']) },
                { weight: 1, arbitrary: small(['x', '']) },
              ),
              member: small(['m1', 'm2', 'q0', 'm3']),
            }),
            { maxLength: 5 },
          ),
          // A priority without its member (callers never send one): the Lua fails after the pairs before it.
          dangling: fc.option(small(['3']), { freq: 10, nil: null }),
        })
        .map((g) => {
          const now = Date.now() / 1000;
          return {
            state: stateOf({
              'sp:a.com:queue': {
                type: 'zset',
                value: g.queued.map(({ priority, at }, i): [string, number] => {
                  const tick = Math.floor(((now + at - FIFO_EPOCH) * 1_000_000) / 64) + i;
                  return [`q${i}`, Number((-priority + tick / FIFO_TICKS).toPrecision(17))];
                }),
              },
            }),
            keys: ['sp:a.com:queue'],
            argv: [
              ...g.pushes.flatMap((p) => [p.priority, p.member]),
              ...(g.dangling === null ? [] : [g.dangling]),
            ],
          };
        }),
    );
  });

  /** Queue members as the Kafka Monitor (flat) and the crawler (under `meta`) write them, and junk. */
  const member = fc
    .record({
      appid: small(['a', 'b']),
      crawlid: small(['c1', 'c2']),
      priority: fc.option(fc.integer({ min: -2, max: 3 }), { nil: undefined }),
      expires: fc.option(fc.constantFrom(0, 1700000000, 1800000000), { nil: undefined }),
      url: small(['http://x/1', 'http://x/2', 'http://x/3']),
      nested: fc.boolean(),
    })
    .map(({ nested, url, ...fields }) => JSON.stringify(nested ? { url, meta: fields } : { url, ...fields }));
  const queueMembers = fc.uniqueArray(
    fc.oneof({ weight: 9, arbitrary: member }, { weight: 1, arbitrary: small(['not json', '[1]']) }),
    {
      maxLength: 6,
    },
  );
  const queueState = queueMembers.chain((ms) =>
    fc.tuple(
      fc.constant(ms),
      fc.array(fc.integer({ min: -3, max: 0 }), { minLength: ms.length, maxLength: ms.length }),
    ),
  );
  const scanArgs = fc.record({
    // Redis answers a small (listpack) set's SCAN in one page whatever COUNT says, and the memory engine
    // pages by COUNT: both are valid SCAN, and the callers loop to cursor 0, so slices are compared whole.
    count: small(['100', '1000']),
    appid: small(['a', 'b']),
    crawlid: small(['c1', 'c2']),
    literal: small(['0', '1']),
  });

  it('crawl-purge', async () => {
    await agree(
      crawlPurge,
      fc.record({ q: queueState, a: scanArgs }).map(({ q: [ms, scores], a }) => ({
        state: stateOf({
          'sp:x.com:queue': { type: 'zset', value: ms.map((m, i) => [m, scores[i]! + i / 10]) },
        }),
        keys: ['sp:x.com:queue'],
        argv: ['0', a.count, a.appid, a.crawlid, a.literal],
      })),
    );
  });

  it('crawl-tally', async () => {
    // Groups come sorted by crawlid and each group's `expires` is the largest of its members', so the
    // reply does not depend on the order SCAN returns members in (which differs between the engines).
    await agree(
      crawlTally,
      fc.record({ q: queueState, a: scanArgs, every: fc.boolean() }).map(({ q: [ms, scores], a, every }) => ({
        state: stateOf({
          'sp:x.com:queue': { type: 'zset', value: ms.map((m, i) => [m, scores[i]! + i / 10]) },
        }),
        keys: ['sp:x.com:queue'],
        argv: ['0', a.count, a.appid, every ? '' : a.crawlid, a.literal],
      })),
    );
  });

  it('lease-purge', async () => {
    await agree(
      leasePurge,
      fc.record({ ms: queueMembers, decoded: fc.boolean(), a: scanArgs }).map(({ ms, decoded, a }) => {
        const leases = ms.map((m, i) => [
          `l${i}`,
          JSON.stringify({
            queue: 'sp:x.com:queue',
            score: -1,
            item: decoded && m.startsWith('{') ? JSON.parse(m) : m,
            owner: 'w',
            expires: 1000 + i,
          }),
        ]);
        return {
          state: stateOf({
            'sp:leased': { type: 'hash', value: Object.fromEntries(leases) },
            'sp:leases': { type: 'zset', value: leases.map(([id], i) => [id!, 1000 + i]) },
          }),
          keys: ['sp:leased', 'sp:leases'],
          argv: ['0', a.count, a.appid, a.crawlid, a.literal],
        };
      }),
    );
  });

  it('crawl-finished', async () => {
    await agree(
      crawlFinished,
      fc
        .record({
          q1: queueMembers,
          q2: queueMembers,
          known: fc.subarray(['sp:x.com:queue', 'sp:y.com:queue', 'sp:z.com:queue']),
          leased: queueMembers,
          stats: fc.option(
            fc.constantFrom<Record<string, string>>({ published: '2' }, { published: '1', failed: '3' }),
            {
              nil: null,
            },
          ),
          marker: fc.boolean(),
          mode: small(['record', 'check', 'claim']),
          perQueue: small(['1', '3', '100']),
          total: small(['2', '100']),
          add: fc.subarray(['sp:x.com:queue', 'sp:y.com:queue']),
        })
        .map((g) => ({
          state: stateOf({
            'sp:x.com:queue': { type: 'zset', value: g.q1.map((m, i) => [m, -i]) },
            'sp:y.com:queue': { type: 'zset', value: g.q2.map((m, i) => [m, -i]) },
            'crawlqueues:sp:a:c1': { type: 'set', value: g.known },
            'sp:leased': {
              type: 'hash',
              value: Object.fromEntries(
                g.leased.map((m, i) => [`l${i}`, JSON.stringify({ queue: 'sp:x.com:queue', item: m })]),
              ),
            },
            'crawlstats:sp:a:c1': g.stats === null ? null : { type: 'hash', value: g.stats },
            'crawlfinished:sp:a:c1': g.marker ? { type: 'string', value: '1' } : null,
          }),
          keys: ['sp:leased', 'crawlqueues:sp:a:c1', 'crawlstats:sp:a:c1', 'crawlfinished:sp:a:c1'],
          argv: ['a', 'c1', g.mode, g.perQueue, g.total, '600', ...g.add],
        })),
    );
  });

  it('stats-windowed-hits', async () => {
    await agree(
      windowedHits,
      fc
        .record({
          old: fc.uniqueArray(small(['h0', 'h1', 'p0', 'p1']), { maxLength: 3 }),
          windows: fc.integer({ min: 0, max: 2 }),
          hits: fc.integer({ min: 0, max: 5 }),
          prefix: small(['p', 'q']),
          score: small(['1700000000', '1700000001.5']),
        })
        .map((g) => ({
          state: stateOf({
            'st:60': { type: 'zset', value: g.old.map((m, i) => [m, 1699999990 + i]) },
            'st:3600': { type: 'zset', value: g.old.map((m, i) => [m, 1699999990 + i]) },
          }),
          keys: [...['st:60', 'st:3600'].slice(0, g.windows), 'hll:st:lifetime'],
          argv: [String(g.windows), g.score, g.prefix, String(g.hits)],
        })),
    );
  });
  it('enqueue with several requests per call (per-call caches: clock, stopped crawls, filters, FIFO ticks)', async () => {
    await agree(
      enqueue,
      fc
        .record({
          first: enqueueCase,
          more: fc.array(
            fc.record({
              fingerprint: fc.constantFrom('', 'fp1', 'fp3', 'fp4'),
              crawl: fc.constantFrom('c1', 'c2'),
              domain: fc.constantFrom('a.com', 'b.com'),
              priority: fc.constantFrom(1, 5),
            }),
            { minLength: 1, maxLength: 4 },
          ),
        })
        .map(({ first, more }) => ({
          state: first.state,
          keys: [
            ...first.keys,
            ...more.flatMap((r) => [
              `sp:dupefilter:${r.crawl}`,
              `sp:${r.domain}:queue`,
              'sp:blacklist',
              `sp:domain_max_page_filter:${r.domain}:${r.crawl}`,
              `sp:global_page_count_filter:${r.domain}:${r.crawl}`,
            ]),
          ],
          argv: [
            ...first.argv,
            ...more.flatMap((r, i) => [
              r.fingerprint,
              '600',
              `app||${r.crawl}`,
              '0',
              '0',
              '600',
              '0',
              '600',
              String(r.priority),
              `{"url":"http://${r.domain}/m${i}"}`,
              'sp:queue_announce',
            ]),
          ],
        })),
    );
  });

  it('lease-pop keeps the leases it took before an attempt fails (a script is not rolled back)', async () => {
    const member = (host: string) => JSON.stringify({ url: `http://${host}/`, meta: {} });
    const state = stateOf({
      'sp:a.com:queue': { type: 'zset', value: [[member('a.com'), 1]] },
      'sp:b.com:queue': { type: 'zset', value: [[member('b.com'), 1]] },
      't:b.com:hold': { type: 'hash', value: { until: '1' } },
    });
    const keys = ['sp:leased', 'sp:leases', 'sp:blacklist', 'sp:attempts'];
    const argv = ['crawler-1', '60'];
    ['a.com', 'b.com'].forEach((domain, i) => {
      keys.push(
        `t:${domain}:throttle_window`,
        `t:${domain}:throttle_time`,
        `sp:${domain}:queue`,
        `t:${domain}:hold`,
      );
      argv.push('60', '100', '0', '0', '0', '0', `L${i}`, `L${i}`);
    });
    await redis.call('FLUSHDB');
    const real = await outcome(redis, leasePop, state, keys, argv);
    const twin = await outcome(new MemoryStore(), leasePop, state, keys, argv);
    expect(real.reply).toEqual({ error: true });
    expect(twin.reply).toEqual({ error: true });
    // a.com's request left its queue in the failed call: its lease record must exist, or it is lost.
    expect(real.keyspace['sp:a.com:queue']).toBeUndefined();
    expect(Object.keys((real.keyspace['sp:leased'] as { value: object }).value)).toEqual(['L0']);
    expect(Object.keys((twin.keyspace['sp:leased'] as { value: object }).value)).toEqual(['L0']);
    expect(real.keyspace['sp:leases']).toBeDefined();
  });

  it('lease-pop with several attempts per call (clock-dependent: throttle, holds, expiry)', async () => {
    const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');
    const now = Date.now() / 1000;
    const attempt = fc.record({
      domain: fc.constantFrom('a.com', 'b.com'),
      limit: fc.constantFrom(0, 1, 2, 100),
      moderate: fc.boolean(),
      ready: fc.boolean(),
    });
    await agree(
      leasePop,
      fc
        .record({
          a: queueState,
          b: queueMembers,
          stopped: fc.subarray(['a||c1', 'b||c2']),
          hits: fc.constantFrom(0, 1, 3),
          // 'wrong type': the hold key is a hash, so GET fails mid-call; leases taken before must be kept.
          hold: fc.option(fc.constantFrom(-5, 30, 'wrong type' as const), { nil: null }),
          counted: fc.boolean(),
          attempts: fc.array(attempt, { minLength: 1, maxLength: 4 }),
        })
        .map((g) => {
          const keys = ['sp:leased', 'sp:leases', 'sp:blacklist', 'sp:attempts'];
          const argv = ['crawler-1', '60'];
          g.attempts.forEach((t, i) => {
            keys.push(
              `t:${t.domain}:throttle_window`,
              `t:${t.domain}:throttle_time`,
              `sp:${t.domain}:queue`,
              `t:${t.domain}:hold`,
            );
            argv.push(
              '60',
              String(t.limit),
              t.moderate ? '1' : '0',
              '0',
              '0',
              t.ready ? '1' : '0',
              `L${i}`,
              `L${i}`,
            );
          });
          const [ms, scores] = g.a;
          return {
            state: stateOf({
              'sp:a.com:queue': ms.length
                ? { type: 'zset', value: ms.map((m, i) => [m, scores[i]! + i / 10]) }
                : null,
              'sp:b.com:queue': g.b.length ? { type: 'zset', value: g.b.map((m, i) => [m, -i]) } : null,
              'sp:blacklist': g.stopped.length ? { type: 'set', value: g.stopped } : null,
              't:a.com:throttle_window': g.hits
                ? { type: 'zset', value: Array.from({ length: g.hits }, (_, i) => [`h${i}`, now - 1 - i]) }
                : null,
              't:b.com:hold':
                g.hold === null
                  ? null
                  : g.hold === 'wrong type'
                    ? { type: 'hash', value: { until: '1' } }
                    : { type: 'string', value: (now + g.hold).toFixed(6), ttlMs: 90_000 },
              'sp:attempts': g.counted && ms[0] ? { type: 'hash', value: { [sha1(ms[0])]: '2' } } : null,
            }),
            keys,
            argv,
          };
        }),
      // Window members are `<time>:<hit id>` (time as a number, id exactly); a lease record is JSON whose
      // key order and number format are the encoder's (cjson on Redis): compared decoded.
      (keyspace) => {
        const out: Record<string, unknown> = { ...keyspace };
        for (const [key, entry] of Object.entries(keyspace)) {
          const e = entry as { value: unknown };
          if (key.endsWith(':throttle_window'))
            out[key] = {
              ...e,
              value: (e.value as [string, number][]).map(([member, score]) => [member.split(':'), score]),
            };
          if (key === 'sp:leased')
            out[key] = {
              ...e,
              value: Object.fromEntries(
                Object.entries(e.value as Record<string, string>).map(([id, record]) => [
                  id,
                  JSON.parse(record),
                ]),
              ),
            };
        }
        return out;
      },
    );
  });
});
