import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/core/store/index.js';
import { defineScript } from '../../src/core/store/index.js';
import { KeyLock } from '../../src/core/lock/key-lock.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A script exercising multi-key access, argument passing and float replies as strings. */
const testScript = defineScript({
  name: 'contract-test',
  numKeys: 2,
  file: new URL('./contract-test.lua', import.meta.url),
  memory: (call, [a, b], [amount]) => {
    const total = Number(call('INCRBY', a!, amount!));
    call('ZADD', b!, total, `m${total}`);
    return [total, call('ZCARD', b!), String(total / 4)];
  },
});

/**
 * One contract, two backends: every test runs against the real Redis server and the in-memory store.
 * Keys are prefixed per run so parallel files never collide.
 */
export function storeContract(name: string, open: () => Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    const p = `contract:${randomUUID().slice(0, 8)}:`;

    beforeAll(async () => {
      store = await open();
    });
    afterAll(async () => {
      for await (const keys of store.scan(`${p}*`)) await store.del(...keys);
      await store.close();
    });

    it('answers PING and TIME from the server clock', async () => {
      expect(await store.ping()).toBe(true);
      const t = await store.time();
      expect(Math.abs(t - Date.now() / 1000)).toBeLessThan(5);
    });

    it('sets many strings with MSET and takes one with GETDEL (what set-many.lua and take-poll.lua did)', async () => {
      expect(await store.call('MSET', `${p}m1`, 'a', `${p}m2`, 'b')).toBe('OK');
      expect(await store.mget([`${p}m1`, `${p}m2`])).toEqual(['a', 'b']);
      expect(await store.call('GETDEL', `${p}m1`)).toBe('a');
      expect(await store.call('GETDEL', `${p}m1`)).toBeNull();
      expect(await store.exists(`${p}m1`)).toBe(false);
      await expect(store.call('MSET', `${p}m3`)).rejects.toThrow(/wrong number of arguments/);
    });

    it('stores strings with SET options, MGET, INCR and DEL', async () => {
      expect(await store.set(`${p}s`, 'v')).toBe(true);
      expect(await store.get(`${p}s`)).toBe('v');
      expect(await store.set(`${p}s`, 'w', { nx: true })).toBe(false);
      expect(await store.set(`${p}missing`, 'w', { xx: true })).toBe(false);
      expect(await store.get(`${p}s`)).toBe('v');
      expect(await store.mget([`${p}s`, `${p}nope`])).toEqual(['v', null]);
      expect(await store.incr(`${p}n`)).toBe(1);
      expect(await store.incrBy(`${p}n`, 41)).toBe(42);
      await expect(store.incr(`${p}s`)).rejects.toThrow(/not an integer/);
      expect(await store.type(`${p}s`)).toBe('string');
      expect(await store.type(`${p}nope`)).toBe('none');
      expect(await store.del(`${p}s`, `${p}n`, `${p}nope`)).toBe(2);
      expect(await store.exists(`${p}s`)).toBe(false);
    });

    it('honours TTLs: EX, PX, EXPIRE, TTL and expiry', async () => {
      await store.set(`${p}t1`, 'x', { ex: 100 });
      const ttl = await store.ttl(`${p}t1`);
      expect(ttl).toBeGreaterThan(98);
      expect(ttl).toBeLessThanOrEqual(100);
      await store.set(`${p}t2`, 'x', { px: 150 });
      expect(await store.pttl(`${p}t2`)).toBeGreaterThan(0);
      await store.set(`${p}t3`, 'x');
      expect(await store.ttl(`${p}t3`)).toBe(-1);
      expect(await store.ttl(`${p}none`)).toBe(-2);
      expect(await store.expire(`${p}t3`, 50)).toBe(true);
      expect(await store.expire(`${p}none`, 50)).toBe(false);
      await store.set(`${p}t3`, 'y');
      expect(await store.ttl(`${p}t3`)).toBe(-1);
      await sleep(300);
      expect(await store.get(`${p}t2`)).toBeNull();
      expect(await store.exists(`${p}t2`)).toBe(false);
    });

    it('keeps sets', async () => {
      expect(await store.sadd(`${p}set`, 'a', 'b', 'a')).toBe(2);
      expect(await store.sismember(`${p}set`, 'a')).toBe(true);
      expect(await store.sismember(`${p}set`, 'z')).toBe(false);
      expect((await store.smembers(`${p}set`)).sort()).toEqual(['a', 'b']);
      expect(await store.scard(`${p}set`)).toBe(2);
      expect(await store.srem(`${p}set`, 'a', 'z')).toBe(1);
      expect(await store.srem(`${p}set`, 'b')).toBe(1);
      expect(await store.exists(`${p}set`)).toBe(false);
    });

    it('keeps sorted sets ordered by score then member', async () => {
      const k = `${p}z`;
      expect(
        await store.zadd(k, [
          { member: 'b', score: -1 },
          { member: 'a', score: -1 },
          { member: 'c', score: -10 },
          { member: 'd', score: 2.5 },
        ]),
      ).toBe(4);
      expect(await store.zadd(k, [{ member: 'a', score: 7 }], { nx: true })).toBe(0);
      expect(await store.zrange(k, 0, -1)).toEqual(['c', 'a', 'b', 'd']);
      expect(await store.zrangeWithScores(k, 0, 1)).toEqual([
        { member: 'c', score: -10 },
        { member: 'a', score: -1 },
      ]);
      expect(await store.zrange(k, -2, -1)).toEqual(['b', 'd']);
      expect(await store.zrange(k, 5, 10)).toEqual([]);
      expect(await store.zcard(k)).toBe(4);
      expect(await store.zscore(k, 'd')).toBe(2.5);
      expect(await store.zscore(k, 'nope')).toBeNull();
      expect((await store.zrangeByScore(k, '(-10', '+inf')).map((m) => m.member)).toEqual(['a', 'b', 'd']);
      expect(
        (await store.zrangeByScore(k, '-inf', '+inf', { offset: 1, count: 2 })).map((m) => m.member),
      ).toEqual(['a', 'b']);
      expect(await store.zcount(k, -1, -1)).toBe(2);
      expect(await store.zremRangeByScore(k, '-inf', '(-1')).toBe(1);
      expect(await store.zpopmin(k)).toEqual([{ member: 'a', score: -1 }]);
      expect(await store.zremRangeByRank(k, 0, 0)).toBe(1);
      expect(await store.zrem(k, 'd', 'nope')).toBe(1);
      expect(await store.exists(k)).toBe(false);
      expect(await store.zpopmin(k)).toEqual([]);
    });

    it('keeps lists, with blocking pops that wait and time out', async () => {
      const k = `${p}list`;
      expect(await store.lpush(k, 'a', 'b')).toBe(2);
      expect(await store.rpush(k, 'z')).toBe(3);
      expect(await store.lrange(k, 0, -1)).toEqual(['b', 'a', 'z']);
      expect(await store.llen(k)).toBe(3);
      expect(await store.rpop(k)).toBe('z');
      expect(await store.lpop(k)).toBe('b');
      expect(await store.brpop(k, 1)).toBe('a');
      const started = Date.now();
      expect(await store.brpop(k, 1)).toBeNull();
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      const waiting = store.blpop(k, 5);
      await sleep(100);
      await store.rpush(k, 'late');
      expect(await waiting).toBe('late');
    });

    it('keeps hashes', async () => {
      const k = `${p}h`;
      expect(await store.hset(k, { a: '1', b: 2 })).toBe(2);
      expect(await store.hget(k, 'b')).toBe('2');
      expect(await store.hmget(k, ['b', 'nope', 'a'])).toEqual(['2', null, '1']);
      expect(await store.hincrby(k, 'a', 5)).toBe(6);
      expect(await store.hincrby(k, 'new', -1)).toBe(-1);
      expect(await store.hgetall(k)).toEqual({ a: '6', b: '2', new: '-1' });
      expect(await store.hdel(k, 'a', 'b', 'new')).toBe(3);
      expect(await store.exists(k)).toBe(false);
    });

    it('counts with HyperLogLog and bitmaps', async () => {
      expect(await store.pfadd(`${p}hll`, 'a', 'b', 'c')).toBe(true);
      expect(await store.pfadd(`${p}hll`, 'a')).toBe(false);
      expect(await store.pfcount(`${p}hll`)).toBe(3);
      expect(await store.setbit(`${p}bits`, 7, 1)).toBe(0);
      expect(await store.setbit(`${p}bits`, 7, 1)).toBe(1);
      await store.setbit(`${p}bits`, 100, 1);
      expect(await store.bitcount(`${p}bits`)).toBe(2);
    });

    it('rejects commands against the wrong type', async () => {
      await store.set(`${p}str`, 'x');
      await expect(store.zadd(`${p}str`, [{ member: 'm', score: 1 }])).rejects.toThrow(/WRONGTYPE/);
      await expect(store.sadd(`${p}str`, 'm')).rejects.toThrow(/WRONGTYPE/);
    });

    it('scans keys by glob in batches without KEYS', async () => {
      const keys = Array.from({ length: 250 }, (_, i) => `${p}scan:${i}:queue`);
      const pl = store.pipeline();
      for (const k of keys) pl.call('SET', k, '1');
      pl.call('SET', `${p}scan:other`, '1');
      await pl.exec();
      const found: string[] = [];
      for await (const batch of store.scan(`${p}scan:*:queue`, 50)) found.push(...batch);
      expect(new Set(found)).toEqual(new Set(keys));
      const bracket: string[] = [];
      for await (const batch of store.scan(`${p}scan:1[0-1]:queue`)) bracket.push(...batch);
      expect(bracket.sort()).toEqual([`${p}scan:10:queue`, `${p}scan:11:queue`]);
    });

    it('runs pipelines in order and reports each failure in place', async () => {
      const pl = store
        .pipeline()
        .call('SET', `${p}pl`, 'x')
        .call('INCR', `${p}pl`)
        .call('GET', `${p}pl`)
        .run(testScript, [`${p}pl:n`, `${p}pl:z`], [8]);
      expect(pl.length).toBe(4);
      const replies = await pl.exec();
      expect(replies[0]).toBe('OK');
      expect(replies[1]).toBeInstanceOf(Error);
      expect(replies[2]).toBe('x');
      expect(replies[3]).toEqual([8, 1, '2']);
    });

    it('runs named scripts atomically with keys and arguments', async () => {
      expect(await store.run(testScript, [`${p}sc:n`, `${p}sc:z`], [4])).toEqual([4, 1, '1']);
      expect(await store.run(testScript, [`${p}sc:n`, `${p}sc:z`], [6])).toEqual([10, 2, '2.5']);
    });

    it('locks keys exclusively, renews while held and releases only its own lock', async () => {
      const a = new KeyLock(store, `${p}job`, 0.6);
      const b = new KeyLock(store, `${p}job`, 0.6);
      expect(await a.acquire()).toBe(true);
      expect(await b.acquire()).toBe(false);
      await sleep(900); // past the first expiry: renewal must have kept it
      expect(await b.acquire()).toBe(false);
      expect(await store.get(`lock:${p}job`)).not.toBeNull();
      expect(await b.release()).toBe(false);
      expect(await a.release()).toBe(true);
      expect(await b.acquire()).toBe(true);
      expect(await b.release()).toBe(true);
      expect(await store.exists(`lock:${p}job`)).toBe(false);
    });
  });
}
