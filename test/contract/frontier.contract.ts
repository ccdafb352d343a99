import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logging/index.js';
import type { Store } from '../../src/core/store/index.js';
import { Frontier, type DomainThrottle, type FrontierOptions } from '../../src/crawler/frontier/frontier.js';
import { decodeMember, encodeRequest, type QueuedRequest } from '../../src/core/wire/request-codec.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quiet = createLogger({ name: 'test', level: 'CRITICAL', destination: { write: () => true } });

function feed(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    url: 'http://a.example.com/',
    appid: 'app',
    crawlid: 'c1',
    spiderid: 'sp',
    priority: 1,
    maxdepth: 1,
    expires: 0,
    domain_max_pages: null,
    ts: 1,
    ...overrides,
  });
}

function child(url: string, meta: Record<string, unknown> = {}): QueuedRequest {
  return {
    url,
    method: 'GET',
    headers: {},
    body: '',
    cookies: null,
    meta: {
      appid: 'app',
      crawlid: 'c1',
      spiderid: 'sp',
      priority: -9,
      expires: 0,
      domain_max_pages: null,
      ...meta,
    },
    dontFilter: false,
    callback: null,
  };
}

/** The crawler frontier against any store: leases, acks, returns, reaping, enqueue checks. */
export function frontierContract(name: string, open: () => Promise<Store>): void {
  describe(`Crawler frontier: ${name}`, () => {
    let store: Store;
    const stores: Store[] = [];
    const run = randomUUID().slice(0, 6);
    let n = 0;
    /** A fresh spider id per test keeps tests apart on a shared server. */
    const make = (over: Partial<FrontierOptions> = {}, throttle?: Partial<DomainThrottle>) => {
      const spiderid = over.spiderid ?? `sp${run}${n++}`;
      return new Frontier(store, {
        spiderid,
        owner: 'crawler-1',
        leaseSeconds: 60,
        policy: {
          throttleFor: (domain) => ({
            window: 60,
            limit: 1000,
            moderate: false,
            name: `${spiderid}:${domain}`,
            ...throttle,
          }),
        },
        queueRefresh: 10,
        queueTimeout: 3600,
        dupefilterTimeout: 600,
        domainMaxPageTimeout: 600,
        globalPageLimit: null,
        globalPageLimitTimeout: 600,
        crawlStatsTimeout: 3600,
        logger: quiet,
        ...over,
      });
    };

    beforeAll(async () => {
      store = await open();
    });
    afterAll(async () => {
      for await (const keys of store.scan(`*sp${run}*`)) await store.del(...keys);
      await Promise.all([store, ...stores].map((s) => s.close()));
    });

    it('leases the highest priority request into the lease table and acknowledges it', async () => {
      const f = make();
      const q = `${f.spiderid}:example.com:queue`;
      await store.zadd(q, [
        { member: feed({ url: 'http://a.example.com/low', priority: 1, spiderid: f.spiderid }), score: -1 },
        { member: feed({ url: 'http://a.example.com/high', priority: 9, spiderid: f.spiderid }), score: -9 },
      ]);
      await f.refreshQueues(true);
      const [lease] = await f.lease(1, () => 8);
      expect(lease!.request.url).toBe('http://a.example.com/high');
      expect(lease!.request.meta).toMatchObject({
        appid: 'app',
        crawlid: 'c1',
        curdepth: 0,
        retry_times: 0,
        priority: 9,
      });
      expect(lease!.domain).toBe('example.com');
      expect(await store.zcard(q)).toBe(1);
      const record = JSON.parse((await store.hget(`${f.spiderid}:leased`, lease!.id))!) as Record<
        string,
        unknown
      >;
      expect(record).toMatchObject({ queue: q, owner: 'crawler-1' });
      expect(await store.zscore(`${f.spiderid}:leases`, lease!.id)).toBeGreaterThan(Date.now() / 1000);
      expect(await f.ack(lease!, 'published')).toBe(true);
      expect(await store.hget(`${f.spiderid}:leased`, lease!.id)).toBeNull();
      expect(await store.hgetall(`crawlstats:${f.spiderid}:app:c1`)).toEqual({ published: '1' });
      expect(f.heldLeases).toHaveLength(0);
    });

    it('holds the throttle and remembers when to ask again', async () => {
      const f = make({}, { window: 30, limit: 2 });
      const q = `${f.spiderid}:throttled.com:queue`;
      await store.zadd(
        q,
        [1, 2, 3, 4].map((i) => ({ member: feed({ url: `http://throttled.com/${i}` }), score: -1 })),
      );
      await f.refreshQueues(true);
      expect(await f.lease(10, () => 10)).toHaveLength(2);
      expect(await f.lease(10, () => 10)).toHaveLength(0);
      expect(f.msUntilReady()).toBeGreaterThan(5_000);
      expect(await store.zcard(q)).toBe(2);
    });

    it('leases nothing of a held domain until the hold ends; a shorter hold keeps the longer one', async () => {
      const f = make();
      const other = make({ spiderid: f.spiderid, owner: 'crawler-2' });
      const q = `${f.spiderid}:held.com:queue`;
      await store.zadd(
        q,
        [1, 2].map((i) => ({
          member: feed({ url: `http://held.com/${i}`, spiderid: f.spiderid }),
          score: -1,
        })),
      );
      const until = await f.hold('held.com', 1.2);
      expect(until).toBeGreaterThan(Date.now() + 900);
      expect(await f.hold('held.com', 0.1)).toBe(until);
      await Promise.all([f.refreshQueues(true), other.refreshQueues(true)]);
      // Neither this crawler nor another leases during the hold.
      expect(await f.lease(5, () => 5)).toHaveLength(0);
      expect(await other.lease(5, () => 5)).toHaveLength(0);
      expect(other.msUntilReady()).toBeGreaterThan(500);
      await sleep(until! - Date.now() + 50);
      expect(await other.lease(5, () => 5)).toHaveLength(2);
      expect(await store.pttl(`${f.spiderid}:held.com:hold`)).toBeGreaterThan(0);
    });

    it('gives each caller its own Crawl-delay slot, spaced by the delay', async () => {
      const f = make();
      const waits = [];
      for (let i = 0; i < 3; i++) waits.push(await f.crawlDelaySlot('slow.com', 0.5));
      expect(waits[0]).toBeLessThan(50);
      expect(waits[1]).toBeGreaterThan(400);
      expect(waits[1]).toBeLessThanOrEqual(500);
      expect(waits[2]).toBeGreaterThan(900);
      expect(waits[2]).toBeLessThanOrEqual(1000);
    });

    it('drops requests of stopped and expired crawls without using a throttle slot', async () => {
      const f = make({}, { window: 60, limit: 1 });
      const q = `${f.spiderid}:mixed.com:queue`;
      await store.sadd(`${f.spiderid}:blacklist`, 'app||stopped');
      await store.zadd(q, [
        { member: feed({ url: 'http://mixed.com/1', crawlid: 'stopped' }), score: -9 },
        { member: feed({ url: 'http://mixed.com/2', expires: 1000 }), score: -8 },
        { member: feed({ url: 'http://mixed.com/3' }), score: -1 },
      ]);
      await f.refreshQueues(true);
      const leases = await f.lease(5, () => 5);
      expect(leases.map((l) => l.request.url)).toEqual(['http://mixed.com/3']);
      expect(await store.zcard(q)).toBe(0);
    });

    it('returns held leases with their original score', async () => {
      const f = make();
      const q = `${f.spiderid}:back.com:queue`;
      await store.zadd(q, [{ member: feed({ url: 'http://back.com/' }), score: -3.25 }]);
      await f.refreshQueues(true);
      await f.lease(1, () => 1);
      expect(await store.zcard(q)).toBe(0);
      expect(await f.returnLeases()).toBe(1);
      expect(await store.zrangeWithScores(q, 0, -1)).toEqual([
        { member: feed({ url: 'http://back.com/' }), score: -3.25 },
      ]);
      expect(await store.hgetall(`${f.spiderid}:leased`)).toEqual({});
    });

    it("returns a dead crawler's expired leases, so another crawler gets the request", async () => {
      const dead = make({ leaseSeconds: 1, owner: 'dead' });
      const alive = make({ spiderid: dead.spiderid, owner: 'alive' });
      const q = `${dead.spiderid}:reap.com:queue`;
      await store.zadd(q, [{ member: feed({ url: 'http://reap.com/' }), score: -1 }]);
      await dead.refreshQueues(true);
      const [lease] = await dead.lease(1, () => 1);
      expect(lease).toBeDefined();
      expect(await alive.reapExpired()).toBe(0); // not expired yet
      await sleep(1300);
      expect(await alive.reapExpired()).toBe(1);
      await alive.refreshQueues(true);
      const [again] = await alive.lease(1, () => 1);
      expect(again!.request.url).toBe('http://reap.com/');
      expect(await dead.ack(lease!, 'published')).toBe(false); // its lease was gone
    });

    it('counts leases that end with no outcome (expired, errored) but not clean hand-backs, until acknowledged', async () => {
      const dead = make({ leaseSeconds: 1, owner: 'dead' });
      const alive = make({ spiderid: dead.spiderid, owner: 'alive' });
      const q = `${dead.spiderid}:count.com:queue`;
      const attempts = `${dead.spiderid}:attempts`;
      await store.zadd(q, [{ member: feed({ url: 'http://count.com/' }), score: -1 }]);
      const leaseOne = async (f: Frontier) => {
        await f.refreshQueues(true);
        const [lease] = await f.lease(1, () => 1);
        expect(lease!.request.url).toBe('http://count.com/');
        return lease!;
      };
      expect((await leaseOne(alive)).attempts).toBeUndefined();
      expect(await alive.returnLeases()).toBe(1); // shutdown: not counted
      expect(await store.hgetall(attempts)).toEqual({});
      await leaseOne(dead);
      await sleep(1300);
      expect(await alive.reapExpired()).toBe(1); // its crawler died: counted
      const second = await leaseOne(alive);
      expect(second.attempts).toBe(1);
      expect(await alive.returnLeases([second], { countAttempt: true })).toBe(1); // unexpected error: counted
      const third = await leaseOne(alive);
      expect(third.attempts).toBe(2);
      expect(Object.values(await store.hgetall(attempts))).toEqual(['2']);
      expect(await alive.ack(third, 'failed')).toBe(true);
      expect(await store.hgetall(attempts)).toEqual({});
    });

    it('ends a lease and queues its follow-up in one step, and adds nothing for a lease that expired', async () => {
      const f = make({ leaseSeconds: 1 });
      const other = make({ spiderid: f.spiderid, owner: 'crawler-2' });
      const q = `${f.spiderid}:settle.com:queue`;
      await store.zadd(q, [
        { member: feed({ url: 'http://settle.com/a', spiderid: f.spiderid }), score: -2 },
        { member: feed({ url: 'http://settle.com/b', spiderid: f.spiderid }), score: -1 },
      ]);
      await f.refreshQueues(true);
      const [a, b] = await f.lease(2, () => 2);
      const retry = { ...a!.request, meta: { ...a!.request.meta, retry_times: 1 }, dontFilter: true };
      expect(await f.requeue(a!, { request: retry, fingerprint: '', priority: -11 })).toBe('queued');
      expect(await store.hget(`${f.spiderid}:leased`, a!.id)).toBeNull();
      expect(await store.zscore(`${f.spiderid}:leases`, a!.id)).toBeNull();
      expect(f.heldCount).toBe(1);
      const queued = (await store.zrange(q, 0, -1)).map((m) => decodeMember(m).url);
      expect(queued).toEqual(['http://settle.com/a']);
      // b's lease expires and another crawler puts it back: settling it later adds nothing.
      await sleep(1300);
      expect(await other.reapExpired()).toBe(1);
      const again = { ...b!.request, dontFilter: true };
      expect(await f.requeue(b!, { request: again, fingerprint: '', priority: -1 })).toBe('gone');
      expect(await store.zcard(q)).toBe(2);
    });

    it('announces a queue the enqueue script creates; a following crawler leases it before any SCAN', async () => {
      const writer = make();
      const s = writer.spiderid;
      const reader = make({ spiderid: s, owner: 'crawler-2' });
      let nudges = 0;
      const heard: string[] = [];
      const unfollow = await reader.followAnnouncements(() => nudges++);
      const spy = await store.subscribe(`${s}:queue_announce`, (m) => heard.push(m));
      const until = async (ok: () => boolean) => {
        for (let i = 0; i < 200 && !ok(); i++) await sleep(10);
      };
      await writer.enqueue([
        { request: child('http://new.com/1', { spiderid: s }), fingerprint: 'n1', priority: -9 },
      ]);
      await until(() => nudges > 0);
      expect(heard).toEqual([`${s}:new.com:queue`]);
      expect(nudges).toBe(1);
      expect(reader.knownQueues).toBe(1);
      // The queue exists now: a second request into it announces nothing.
      await writer.enqueue([
        { request: child('http://new.com/2', { spiderid: s }), fingerprint: 'n2', priority: -9 },
      ]);
      // Keys of other spiders and malformed lines are ignored.
      await store.call('PUBLISH', `${s}:queue_announce`, `other:x.com:queue\n${s}:bad\n${s}:a:b:queue`);
      await until(() => heard.length >= 2);
      await sleep(50);
      expect(heard).toHaveLength(2);
      expect(nudges).toBe(1);
      expect(reader.knownQueues).toBe(1);
      const leases = await reader.lease(5, () => 5);
      expect(leases.map((l) => l.request.url).sort()).toEqual(['http://new.com/1', 'http://new.com/2']);
      await unfollow();
      await spy();
    });

    it('sends a link found by several pages at once to the duplicate filter once, in one script call', async () => {
      // Requests sent to enqueue.lua (five keys each), and script calls.
      let scripts = 0;
      let calls = 0;
      const counting = new Proxy(store, {
        get(target, prop) {
          if (prop !== 'pipeline') return Reflect.get(target, prop, target) as unknown;
          return () => {
            const pipe = target.pipeline();
            const run = pipe.run.bind(pipe);
            pipe.run = (...a: Parameters<typeof run>) => {
              scripts += a[0].name === 'enqueue' ? a[1].length / 5 : 1;
              calls++;
              return run(...a);
            };
            return pipe;
          };
        },
      });
      const f = new Frontier(counting, {
        spiderid: `sp${run}${n++}`,
        owner: 'crawler-1',
        leaseSeconds: 60,
        policy: { throttleFor: () => ({ window: 60, limit: 1000, moderate: false, name: 'x' }) },
        queueRefresh: 10,
        queueTimeout: 3600,
        dupefilterTimeout: 600,
        domainMaxPageTimeout: 600,
        globalPageLimit: null,
        globalPageLimitTimeout: 600,
        crawlStatsTimeout: 3600,
        logger: quiet,
      });
      const s = f.spiderid;
      await store.sadd(`${s}:blacklist`, 'app||halted');
      const link = (url: string, meta: Record<string, unknown> = {}) => ({
        request: child(url, { spiderid: s, ...meta }),
        fingerprint: url,
        priority: -9,
      });
      // Three pages parsed at once, each linking to /a and /b; /h belongs to a stopped crawl.
      const pages = await Promise.all([
        f.enqueue([
          link('http://same.com/a'),
          link('http://same.com/b'),
          link('http://same.com/h', { crawlid: 'halted' }),
        ]),
        f.enqueue([
          link('http://same.com/a'),
          link('http://same.com/b'),
          link('http://same.com/h', { crawlid: 'halted' }),
        ]),
        f.enqueue([link('http://same.com/b'), link('http://same.com/a'), link('http://same.com/a')]),
      ]);
      expect(pages[0]).toEqual(['queued', 'queued', 'blacklisted']);
      expect(pages[1]).toEqual(['duplicate', 'duplicate', 'blacklisted']);
      expect(pages[2]).toEqual(['duplicate', 'duplicate', 'duplicate']);
      expect(scripts).toBe(3);
      expect(calls).toBe(1);
      expect(await store.zcard(`${s}:same.com:queue`)).toBe(2);
      // A request without the filter (a retry) is always sent.
      await f.enqueue([
        { ...link('http://same.com/a'), request: { ...link('http://same.com/a').request, dontFilter: true } },
      ]);
      expect(scripts).toBe(4);
    });

    it('enqueues follow-ups after the blacklist, expiry, duplicate and page-limit checks', async () => {
      const f = make({ globalPageLimit: 5 });
      const s = f.spiderid;
      await store.sadd(`${s}:blacklist`, 'app||halted');
      const statuses = await f.enqueue([
        { request: child('http://pages.com/1', { spiderid: s }), fingerprint: 'f1', priority: -9 },
        { request: child('http://pages.com/1', { spiderid: s }), fingerprint: 'f1', priority: -9 },
        {
          request: child('http://pages.com/2', { spiderid: s, crawlid: 'halted' }),
          fingerprint: 'f2',
          priority: -9,
        },
        {
          request: child('http://pages.com/3', { spiderid: s, expires: 1000 }),
          fingerprint: 'f3',
          priority: -9,
        },
        {
          request: { ...child('http://pages.com/1', { spiderid: s }), dontFilter: true },
          fingerprint: 'f1',
          priority: -19,
        },
      ]);
      expect(statuses).toEqual(['queued', 'duplicate', 'blacklisted', 'expired', 'queued']);
      expect(await store.zcard(`${s}:pages.com:queue`)).toBe(2);
      expect(await store.sismember(`${s}:dupefilter:c1`, 'f1')).toBe(true);
      expect(await store.ttl(`${s}:dupefilter:c1`)).toBeGreaterThan(590);

      // domain_max_pages 3: two follow-ups pass (with the seed, three pages), then the limit.
      const limited = await f.enqueue(
        [1, 2, 3, 4].map((i) => ({
          request: child(`http://limit.com/${i}`, { spiderid: s, crawlid: 'lim', domain_max_pages: 3 }),
          fingerprint: `l${i}`,
          priority: -9,
        })),
      );
      expect(limited).toEqual(['queued', 'queued', 'domain-limit', 'domain-limit']);
      const global = await f.enqueue(
        [1, 2, 3, 4, 5, 6].map((i) => ({
          request: child(`http://global.com/${i}`, { spiderid: s, crawlid: 'glob' }),
          fingerprint: `g${i}`,
          priority: -9,
        })),
      );
      expect(global.filter((x) => x === 'queued')).toHaveLength(4);
      expect(global.slice(4)).toEqual(['global-limit', 'global-limit']);
    });

    it('drops follow-ups for refused domains when the backlog of blacklisted domains is off', async () => {
      const f = make({
        policy: {
          throttleFor: (domain) => ({ window: 60, limit: 1000, moderate: false, name: domain }),
          refusesDomain: (domain) => domain === 'banned.com',
        },
      });
      const statuses = await f.enqueue([
        {
          request: child('http://www.banned.com/1', { spiderid: f.spiderid }),
          fingerprint: 'b1',
          priority: -9,
        },
        { request: child('http://fine.com/1', { spiderid: f.spiderid }), fingerprint: 'b2', priority: -9 },
      ]);
      expect(statuses).toEqual(['blacklisted', 'queued']);
      expect(await store.exists(`${f.spiderid}:banned.com:queue`)).toBe(false);
    });

    it('writes follow-ups in the serialized-request layout and reads both shapes', async () => {
      const f = make();
      const request = child('http://shape.com/x', { spiderid: f.spiderid, curdepth: 1, attrs: { a: 1 } });
      request.headers = { 'User-Agent': 'ua' };
      await f.enqueue([{ request, fingerprint: 'x', priority: -9 }]);
      const [member] = await store.zrange(`${f.spiderid}:shape.com:queue`, 0, 0);
      const parsed = JSON.parse(member!) as Record<string, unknown>;
      expect(Object.keys(parsed)).toEqual([
        'url',
        'callback',
        'errback',
        'method',
        'headers',
        'body',
        'cookies',
        'meta',
        '_encoding',
        'priority',
        'dont_filter',
        'flags',
      ]);
      expect(parsed.headers).toEqual({ 'User-Agent': ['ua'] });
      expect(decodeMember(member!)).toEqual({ ...request, callback: 'parse', cookies: {} });
      expect(decodeMember(encodeRequest(request)).meta).toEqual(request.meta);
      const fed = decodeMember(
        JSON.stringify({ url: 'www.site.com/a', appid: 'a', crawlid: 'c', cookie: 'k=v' }),
      );
      expect(fed.url).toBe('http://www.site.com/a');
      expect(fed.cookies).toBe('k=v');
      expect(fed.meta).toMatchObject({ url: 'www.site.com/a', curdepth: 0, retry_times: 0 });
    });

    it('caps leases per domain and spreads a batch over ready domains', async () => {
      const f = make();
      for (const d of ['one.com', 'two.com', 'three.com']) {
        await store.zadd(
          `${f.spiderid}:${d}:queue`,
          [1, 2, 3, 4].map((i) => ({ member: feed({ url: `http://${d}/${i}` }), score: -1 })),
        );
      }
      await f.refreshQueues(true);
      const leases = await f.lease(20, () => 2);
      const perDomain = new Map<string, number>();
      for (const l of leases) perDomain.set(l.domain, (perDomain.get(l.domain) ?? 0) + 1);
      expect(Object.fromEntries(perDomain)).toEqual({ 'one.com': 2, 'two.com': 2, 'three.com': 2 });
    });

    it('skips throttled queues without asking Redis again, with a thousand domains', async () => {
      let scripts = 0;
      const counting = new Proxy(store, {
        get(target, prop, receiver) {
          if (prop === 'pipeline') {
            return () => {
              const pipe = target.pipeline();
              const runOriginal = pipe.run.bind(pipe);
              pipe.run = (...args: Parameters<typeof pipe.run>) => {
                scripts++;
                return runOriginal(...args);
              };
              return pipe;
            };
          }
          return Reflect.get(target, prop, receiver) as unknown;
        },
      });
      const spiderid = `sp${run}${n++}`;
      const f = new Frontier(counting, {
        spiderid,
        owner: 'c',
        leaseSeconds: 60,
        policy: {
          throttleFor: (domain) => ({ window: 60, limit: 1, moderate: false, name: `${spiderid}:${domain}` }),
        },
        queueRefresh: 600,
        queueTimeout: 3600,
        dupefilterTimeout: 600,
        domainMaxPageTimeout: 600,
        globalPageLimit: null,
        globalPageLimitTimeout: 600,
        crawlStatsTimeout: 600,
        logger: quiet,
      });
      const pipe = store.pipeline();
      for (let d = 0; d < 1000; d++) {
        pipe.call(
          'ZADD',
          `${spiderid}:d${d}.com:queue`,
          -1,
          feed({ url: `http://d${d}.com/a` }),
          -1,
          feed({ url: `http://d${d}.com/b` }),
        );
      }
      await pipe.exec();
      await f.refreshQueues(true);
      expect(f.knownQueues).toBe(1000);
      expect(await f.lease(5000, () => 1)).toHaveLength(1000);
      expect(await f.lease(5000, () => 1)).toHaveLength(0); // every domain used its one slot per minute
      scripts = 0;
      expect(await f.lease(5000, () => 1)).toHaveLength(0);
      expect(scripts).toBe(0);
      expect(f.msUntilReady()).toBeGreaterThan(50_000);
    });
  });
}
