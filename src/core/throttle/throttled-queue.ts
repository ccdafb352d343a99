import { randomBytes } from 'node:crypto';
import type { AnyQueue } from '../queues/redis-queue.js';
import { asString } from '../store/reply.js';
import { throttlePop } from './scripts.js';

export interface ThrottleOptions {
  /** Window length in seconds. */
  window: number;
  /** Pops allowed per window, cluster-wide. 0 means the queue never pops. */
  limit: number;
  /** Spread pops evenly: at most one per window/limit seconds, across all processes. */
  moderate?: boolean;
  /** Name for the window key (`<windowName>:throttle_window`); defaults to the queue key. */
  windowName?: string;
  /** Name for the moderation key (`<modName>:throttle_time`); defaults to the queue key. */
  modName?: string;
  /** When moderated pops fell behind, allow catching up to the limit. */
  elastic?: boolean;
  /** Spare window slots to keep before the elastic catch-up skips the spacing. */
  elasticBuffer?: number;
}

export type PopStatus = 'ok' | 'empty' | 'throttled' | 'moderated';

export interface PopOutcome<T> {
  status: PopStatus;
  item: T | null;
  /** Seconds until a pop may be allowed (throttled/moderated), -1 for never, 0 otherwise. */
  retryAfter: number;
  /** Redis server time of the decision, in seconds. */
  at: number;
}

/**
 * A queue whose pops are rate limited cluster-wide (seed 6.5). Pushes are never throttled. Every pop is
 * one Lua call that checks the window, the moderation spacing and the queue, records the hit and pops,
 * on the Redis clock; so the limit is exact however many processes share the keys.
 */
export class RedisThrottledQueue<T = unknown> {
  readonly windowKey: string;
  readonly moderateKey: string;
  window: number;
  limit: number;
  readonly moderate: boolean;
  readonly elastic: boolean;
  readonly elasticBuffer: number;
  /** Permitted pops made by this object, capped at the limit (the original's elastic warm-up). */
  private kickIn = 0;

  constructor(
    readonly queue: AnyQueue<T>,
    options: ThrottleOptions,
  ) {
    this.window = options.window;
    this.limit = options.limit;
    this.moderate = options.moderate ?? false;
    this.elastic = options.elastic ?? false;
    this.elasticBuffer = options.elasticBuffer ?? 0;
    this.windowKey = `${options.windowName ?? queue.key}:throttle_window`;
    this.moderateKey = `${options.modName ?? queue.key}:throttle_time`;
  }

  /** Seconds between moderated pops, or 0 when not moderated. */
  get moderation(): number {
    return this.moderate && this.limit > 1 ? this.window / this.limit : 0;
  }

  /** Pushes through to the wrapped queue (a priority queue takes the priority as second argument). */
  async push(item: T, priority?: number): Promise<void> {
    if (this.queue.kind === 'zset') await this.queue.push(item, priority ?? 0);
    else await this.queue.push(item);
  }

  /** The item when the throttle allows a pop and the queue has one, else null. */
  async pop(): Promise<T | null> {
    return (await this.tryPop()).item;
  }

  /** Like pop, with the reason and a retry hint, for schedulers that avoid polling throttled queues. */
  async tryPop(): Promise<PopOutcome<T>> {
    const reply = (await this.queue.store.run(
      throttlePop,
      [this.windowKey, this.moderateKey, this.queue.key],
      [
        this.window,
        this.limit,
        this.moderate ? 1 : 0,
        this.elastic ? 1 : 0,
        this.elasticBuffer,
        this.kickIn >= this.limit ? 1 : 0,
        this.queue.kind,
        randomBytes(6).toString('hex'),
      ],
    )) as [string, string | null, string];
    const status = reply[0] as PopStatus;
    const at = Number(reply[2]);
    if (status === 'ok') {
      if (this.kickIn < this.limit) this.kickIn++;
      return { status, item: this.queue.decode(asString(reply[1])), retryAfter: 0, at };
    }
    return { status, item: null, retryAfter: Math.max(-1, Number(reply[1])), at };
  }

  /** Deletes the window, the moderation key and the queue. */
  async clear(): Promise<void> {
    await this.queue.store.del(this.windowKey, this.moderateKey);
    await this.queue.clear();
  }

  length(): Promise<number> {
    return this.queue.length();
  }
}
