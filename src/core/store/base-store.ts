import {
  asNullableStrings,
  asNumber,
  asRecord,
  asString,
  asStrings,
  asZMembers,
  formatScore,
} from './reply.js';
import type { Arg, Pipeline, Reply, ScriptDef, SetOptions, Store, ZMember } from './types.js';

/**
 * The typed command API, written once on top of `call()` so both backends answer every command the same
 * way: the Redis backend sends the raw command, the memory backend interprets it.
 */
export abstract class BaseStore implements Store {
  abstract readonly kind: 'redis' | 'memory';
  abstract call(command: string, ...args: Arg[]): Promise<Reply>;
  abstract run(script: ScriptDef, keys: string[], args?: Arg[]): Promise<Reply>;
  abstract pipeline(): Pipeline;
  abstract subscribe(channel: string, listener: (message: string) => void): Promise<() => Promise<void>>;
  abstract brpop(key: string, timeoutSeconds: number): Promise<string | null>;
  abstract blpop(key: string, timeoutSeconds: number): Promise<string | null>;
  abstract close(): Promise<void>;

  /** SCAN with MATCH, batch by batch, until the cursor comes back to 0 (never KEYS). */
  async *scan(match: string, count = 1000): AsyncIterable<string[]> {
    let cursor = '0';
    do {
      const [next, keys] = (await this.call('SCAN', cursor, 'MATCH', match, 'COUNT', count)) as [
        string,
        string[],
      ];
      cursor = next;
      if (keys.length > 0) yield keys;
    } while (cursor !== '0');
  }

  async ping(): Promise<boolean> {
    return (await this.call('PING')) === 'PONG';
  }

  async time(): Promise<number> {
    const [sec, usec] = asStrings(await this.call('TIME'));
    return Number(sec) + Number(usec) / 1e6;
  }

  async get(key: string): Promise<string | null> {
    return asString(await this.call('GET', key));
  }

  async mget(keys: string[]): Promise<(string | null)[]> {
    if (keys.length === 0) return [];
    return asNullableStrings(await this.call('MGET', ...keys));
  }

  async set(key: string, value: Arg, options: SetOptions = {}): Promise<boolean> {
    const args: Arg[] = [key, value];
    if (options.ex !== undefined) args.push('EX', Math.max(1, Math.trunc(options.ex)));
    if (options.px !== undefined) args.push('PX', Math.max(1, Math.trunc(options.px)));
    if (options.nx) args.push('NX');
    if (options.xx) args.push('XX');
    return (await this.call('SET', ...args)) === 'OK';
  }

  async del(...keys: string[]): Promise<number> {
    if (keys.length === 0) return 0;
    return asNumber(await this.call('DEL', ...keys));
  }

  async exists(key: string): Promise<boolean> {
    return asNumber(await this.call('EXISTS', key)) > 0;
  }

  async expire(key: string, seconds: number): Promise<boolean> {
    return asNumber(await this.call('EXPIRE', key, Math.trunc(seconds))) === 1;
  }

  async ttl(key: string): Promise<number> {
    return asNumber(await this.call('TTL', key));
  }

  async pttl(key: string): Promise<number> {
    return asNumber(await this.call('PTTL', key));
  }

  async incr(key: string): Promise<number> {
    return asNumber(await this.call('INCR', key));
  }

  async incrBy(key: string, amount: number): Promise<number> {
    return asNumber(await this.call('INCRBY', key, Math.trunc(amount)));
  }

  async type(key: string): Promise<string> {
    return asString(await this.call('TYPE', key)) ?? 'none';
  }

  async sadd(key: string, ...members: string[]): Promise<number> {
    if (members.length === 0) return 0;
    return asNumber(await this.call('SADD', key, ...members));
  }

  async srem(key: string, ...members: string[]): Promise<number> {
    if (members.length === 0) return 0;
    return asNumber(await this.call('SREM', key, ...members));
  }

  async sismember(key: string, member: string): Promise<boolean> {
    return asNumber(await this.call('SISMEMBER', key, member)) === 1;
  }

  async smembers(key: string): Promise<string[]> {
    return asStrings(await this.call('SMEMBERS', key));
  }

  async scard(key: string): Promise<number> {
    return asNumber(await this.call('SCARD', key));
  }

  async zadd(key: string, entries: ZMember[], options: { nx?: boolean } = {}): Promise<number> {
    if (entries.length === 0) return 0;
    const args: Arg[] = [key];
    if (options.nx) args.push('NX');
    for (const e of entries) args.push(formatScore(e.score), e.member);
    return asNumber(await this.call('ZADD', ...args));
  }

  async zrem(key: string, ...members: string[]): Promise<number> {
    if (members.length === 0) return 0;
    return asNumber(await this.call('ZREM', key, ...members));
  }

  async zcard(key: string): Promise<number> {
    return asNumber(await this.call('ZCARD', key));
  }

  async zscore(key: string, member: string): Promise<number | null> {
    const reply = asString(await this.call('ZSCORE', key, member));
    return reply === null ? null : Number(reply === 'inf' ? Infinity : reply === '-inf' ? -Infinity : reply);
  }

  async zrange(key: string, start: number, stop: number): Promise<string[]> {
    return asStrings(await this.call('ZRANGE', key, start, stop));
  }

  async zrangeWithScores(key: string, start: number, stop: number): Promise<ZMember[]> {
    return asZMembers(await this.call('ZRANGE', key, start, stop, 'WITHSCORES'));
  }

  async zrangeByScore(
    key: string,
    min: Arg,
    max: Arg,
    options?: { offset: number; count: number },
  ): Promise<ZMember[]> {
    const args: Arg[] = [key, min, max, 'WITHSCORES'];
    if (options) args.push('LIMIT', options.offset, options.count);
    return asZMembers(await this.call('ZRANGEBYSCORE', ...args));
  }

  async zcount(key: string, min: Arg, max: Arg): Promise<number> {
    return asNumber(await this.call('ZCOUNT', key, min, max));
  }

  async zremRangeByScore(key: string, min: Arg, max: Arg): Promise<number> {
    return asNumber(await this.call('ZREMRANGEBYSCORE', key, min, max));
  }

  async zremRangeByRank(key: string, start: number, stop: number): Promise<number> {
    return asNumber(await this.call('ZREMRANGEBYRANK', key, start, stop));
  }

  async zpopmin(key: string, count = 1): Promise<ZMember[]> {
    return asZMembers(await this.call('ZPOPMIN', key, count));
  }

  async lpush(key: string, ...values: string[]): Promise<number> {
    return asNumber(await this.call('LPUSH', key, ...values));
  }

  async rpush(key: string, ...values: string[]): Promise<number> {
    return asNumber(await this.call('RPUSH', key, ...values));
  }

  async lpop(key: string): Promise<string | null> {
    return asString(await this.call('LPOP', key));
  }

  async rpop(key: string): Promise<string | null> {
    return asString(await this.call('RPOP', key));
  }

  async llen(key: string): Promise<number> {
    return asNumber(await this.call('LLEN', key));
  }

  async lrange(key: string, start: number, stop: number): Promise<string[]> {
    return asStrings(await this.call('LRANGE', key, start, stop));
  }

  async hset(key: string, fields: Record<string, Arg>): Promise<number> {
    const args: Arg[] = [key];
    for (const [f, v] of Object.entries(fields)) args.push(f, v);
    if (args.length === 1) return 0;
    return asNumber(await this.call('HSET', ...args));
  }

  async hget(key: string, field: string): Promise<string | null> {
    return asString(await this.call('HGET', key, field));
  }

  async hmget(key: string, fields: string[]): Promise<(string | null)[]> {
    if (fields.length === 0) return [];
    return asNullableStrings(await this.call('HMGET', key, ...fields));
  }

  async hgetall(key: string): Promise<Record<string, string>> {
    return asRecord(await this.call('HGETALL', key));
  }

  async hincrby(key: string, field: string, amount: number): Promise<number> {
    return asNumber(await this.call('HINCRBY', key, field, Math.trunc(amount)));
  }

  async hdel(key: string, ...fields: string[]): Promise<number> {
    if (fields.length === 0) return 0;
    return asNumber(await this.call('HDEL', key, ...fields));
  }

  async pfadd(key: string, ...elements: string[]): Promise<boolean> {
    return asNumber(await this.call('PFADD', key, ...elements)) === 1;
  }

  async pfcount(...keys: string[]): Promise<number> {
    return asNumber(await this.call('PFCOUNT', ...keys));
  }

  async setbit(key: string, offset: number, value: 0 | 1): Promise<number> {
    return asNumber(await this.call('SETBIT', key, offset, value));
  }

  async bitcount(key: string): Promise<number> {
    return asNumber(await this.call('BITCOUNT', key));
  }
}

export type PipelineEntry =
  { kind: 'call'; args: Arg[] } | { kind: 'script'; script: ScriptDef; keys: string[]; args: Arg[] };

/** A pipeline that records commands and hands them to a backend-specific sender. */
export class RecordingPipeline implements Pipeline {
  private readonly entries: PipelineEntry[] = [];

  constructor(private readonly send: (entries: PipelineEntry[]) => Promise<(Reply | Error)[]>) {}

  call(command: string, ...args: Arg[]): this {
    this.entries.push({ kind: 'call', args: [command, ...args] });
    return this;
  }

  run(script: ScriptDef, keys: string[], args: Arg[]): this {
    this.entries.push({ kind: 'script', script, keys, args });
    return this;
  }

  get length(): number {
    return this.entries.length;
  }

  exec(): Promise<(Reply | Error)[]> {
    return this.send(this.entries.splice(0));
  }
}
