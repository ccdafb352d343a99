/** A raw reply as Redis returns it over RESP2: bulk string, integer, nil or an array of those. */
export type Reply = string | number | null | Reply[];

/** One argument of a raw command. Numbers are sent in their decimal form. */
export type Arg = string | number;

export interface ZMember {
  member: string;
  score: number;
}

export interface SetOptions {
  /** Expire after this many seconds. */
  ex?: number;
  /** Expire after this many milliseconds. */
  px?: number;
  /** Only set when the key does not exist. */
  nx?: boolean;
  /** Only set when the key exists. */
  xx?: boolean;
}

/** An atomic server-side operation: one Lua file plus its in-memory twin (see script.ts). */
export interface ScriptDef {
  readonly name: string;
  readonly numKeys: number;
  /** The script's `.lua` file. */
  readonly file: URL;
  /** Lua source, loaded from the script's `.lua` file. */
  lua(): string;
  /** The same logic against the in-memory engine; `call` behaves like `redis.call`. */
  readonly memory: MemoryScript;
}

export type RedisCall = (command: string, ...args: Arg[]) => Reply;
export type MemoryScript = (call: RedisCall, keys: string[], argv: string[]) => Reply;

/** Commands recorded for one round trip. */
export interface Pipeline {
  call(command: string, ...args: Arg[]): this;
  run(script: ScriptDef, keys: string[], args: Arg[]): this;
  readonly length: number;
  /** Sends everything in one round trip; a failed command yields its Error in place of a reply. */
  exec(): Promise<(Reply | Error)[]>;
}

/**
 * What Redis is to the cluster: the subset of commands the project uses, named atomic scripts, and
 * pipelines. Implemented by RedisStore (real server) and MemoryStore (single process).
 */
export interface Store {
  readonly kind: 'redis' | 'memory';

  call(command: string, ...args: Arg[]): Promise<Reply>;
  run(script: ScriptDef, keys: string[], args?: Arg[]): Promise<Reply>;
  pipeline(): Pipeline;
  /**
   * Follows a pub/sub channel (on a connection of its own for Redis, resubscribed after a reconnect).
   * Messages published while disconnected are lost: subscribers must not depend on them for
   * correctness. Resolves once subscribed, to a function that stops following.
   */
  subscribe(channel: string, listener: (message: string) => void): Promise<() => Promise<void>>;

  ping(): Promise<boolean>;
  /** Server clock in seconds (float), the clock every throttle decision uses. */
  time(): Promise<number>;

  get(key: string): Promise<string | null>;
  mget(keys: string[]): Promise<(string | null)[]>;
  set(key: string, value: Arg, options?: SetOptions): Promise<boolean>;
  del(...keys: string[]): Promise<number>;
  exists(key: string): Promise<boolean>;
  expire(key: string, seconds: number): Promise<boolean>;
  /** Seconds to live: -2 when the key is missing, -1 when it has no expiry. */
  ttl(key: string): Promise<number>;
  pttl(key: string): Promise<number>;
  incr(key: string): Promise<number>;
  incrBy(key: string, amount: number): Promise<number>;
  type(key: string): Promise<string>;

  sadd(key: string, ...members: string[]): Promise<number>;
  srem(key: string, ...members: string[]): Promise<number>;
  sismember(key: string, member: string): Promise<boolean>;
  smembers(key: string): Promise<string[]>;
  scard(key: string): Promise<number>;

  zadd(key: string, entries: ZMember[], options?: { nx?: boolean }): Promise<number>;
  zrem(key: string, ...members: string[]): Promise<number>;
  zcard(key: string): Promise<number>;
  zscore(key: string, member: string): Promise<number | null>;
  zrange(key: string, start: number, stop: number): Promise<string[]>;
  zrangeWithScores(key: string, start: number, stop: number): Promise<ZMember[]>;
  zrangeByScore(
    key: string,
    min: Arg,
    max: Arg,
    options?: { offset: number; count: number },
  ): Promise<ZMember[]>;
  zcount(key: string, min: Arg, max: Arg): Promise<number>;
  zremRangeByScore(key: string, min: Arg, max: Arg): Promise<number>;
  zremRangeByRank(key: string, start: number, stop: number): Promise<number>;
  zpopmin(key: string, count?: number): Promise<ZMember[]>;

  lpush(key: string, ...values: string[]): Promise<number>;
  rpush(key: string, ...values: string[]): Promise<number>;
  lpop(key: string): Promise<string | null>;
  rpop(key: string): Promise<string | null>;
  /** Blocking pops: wait up to `timeoutSeconds` (0 = forever) for an element. */
  brpop(key: string, timeoutSeconds: number): Promise<string | null>;
  blpop(key: string, timeoutSeconds: number): Promise<string | null>;
  llen(key: string): Promise<number>;
  lrange(key: string, start: number, stop: number): Promise<string[]>;

  hset(key: string, fields: Record<string, Arg>): Promise<number>;
  hget(key: string, field: string): Promise<string | null>;
  hmget(key: string, fields: string[]): Promise<(string | null)[]>;
  hgetall(key: string): Promise<Record<string, string>>;
  hincrby(key: string, field: string, amount: number): Promise<number>;
  hdel(key: string, ...fields: string[]): Promise<number>;

  pfadd(key: string, ...elements: string[]): Promise<boolean>;
  pfcount(...keys: string[]): Promise<number>;
  setbit(key: string, offset: number, value: 0 | 1): Promise<number>;
  bitcount(key: string): Promise<number>;

  /** Iterates keys matching a glob pattern in batches with SCAN (never KEYS). */
  scan(match: string, count?: number): AsyncIterable<string[]>;

  close(): Promise<void>;
}
