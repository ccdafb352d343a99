import type { Store } from '../store/types.js';
import { assertEncoding, jsonEncoding, type Encoding } from '../wire/queue-encoding.js';
import { priorityPush } from './scripts.js';

/** How a throttled queue pops this queue inside its Lua script. */
export type QueueKind = 'fifo' | 'lifo' | 'zset';

/** Shared by the three queues: a Redis key, an encoding, clear and length. */
abstract class BaseQueue<T> {
  readonly encoding: Encoding;
  abstract readonly kind: QueueKind;

  constructor(
    readonly store: Store,
    readonly key: string,
    encoding: Encoding = jsonEncoding,
  ) {
    this.encoding = assertEncoding(encoding);
  }

  /** Removes every item. */
  async clear(): Promise<void> {
    await this.store.del(this.key);
  }

  abstract length(): Promise<number>;

  decode(text: string | null): T | null {
    return text === null ? null : (this.encoding.loads(text) as T);
  }
}

/** First in, first out, on a Redis list (LPUSH / RPOP), as the original. */
export class RedisQueue<T = unknown> extends BaseQueue<T> {
  readonly kind = 'fifo' as const;

  async push(item: T): Promise<void> {
    await this.store.lpush(this.key, this.encoding.dumps(item));
  }

  /** With a timeout above 0, waits up to that many seconds for an item. */
  async pop(timeout = 0): Promise<T | null> {
    return this.decode(
      timeout > 0 ? await this.store.brpop(this.key, timeout) : await this.store.rpop(this.key),
    );
  }

  length(): Promise<number> {
    return this.store.llen(this.key);
  }
}

/** Last in, first out, on a Redis list (LPUSH / LPOP). */
export class RedisStack<T = unknown> extends BaseQueue<T> {
  readonly kind = 'lifo' as const;

  async push(item: T): Promise<void> {
    await this.store.lpush(this.key, this.encoding.dumps(item));
  }

  async pop(timeout = 0): Promise<T | null> {
    return this.decode(
      timeout > 0 ? await this.store.blpop(this.key, timeout) : await this.store.lpop(this.key),
    );
  }

  length(): Promise<number> {
    return this.store.llen(this.key);
  }
}

/**
 * Highest priority first on a sorted set with score = -priority (the original's wire format), and
 * unlike the original, equal priorities in arrival order (see priority-push.lua).
 */
export class RedisPriorityQueue<T = unknown> extends BaseQueue<T> {
  readonly kind = 'zset' as const;

  async push(item: T, priority: number): Promise<void> {
    await this.store.run(priorityPush, [this.key], [priority, this.encoding.dumps(item)]);
  }

  /** Pushes many items in one round trip, in order. */
  async pushMany(items: { item: T; priority: number }[]): Promise<void> {
    if (items.length === 0) return;
    await this.store.run(
      priorityPush,
      [this.key],
      items.flatMap(({ item, priority }) => [priority, this.encoding.dumps(item)]),
    );
  }

  /** The timeout is accepted for interface parity and ignored, as in the original. */
  async pop(_timeout = 0): Promise<T | null> {
    const [first] = await this.store.zpopmin(this.key);
    return this.decode(first ? first.member : null);
  }

  length(): Promise<number> {
    return this.store.zcard(this.key);
  }
}

export type AnyQueue<T = unknown> = RedisQueue<T> | RedisStack<T> | RedisPriorityQueue<T>;
