import type { Arg, Pipeline, Reply, Store } from '../store/types.js';
import { SECONDS_1_HOUR } from './times.js';
import { alignWindowStart, rolledKey, rolledKeyPattern } from './keys.js';
import { defaultStatsScheduler, type MaintainedCounter, type StatsScheduler } from './scheduler.js';

/** What a counter counts: an item for unique/HLL counters, a bit index for bitmaps. */
export type StatsItem = string | number;

/** Anything that can add its increment to a shared pipeline (counters, windowed stats). */
export interface Incrementable {
  readonly store: Store;
  queueIncrement(pipe: Pipeline, item?: StatsItem): void;
}

/** Incrementable by many hits at once with one command per key (a batch of messages). */
export interface BulkIncrementable extends Incrementable {
  queueIncrementMany(pipe: Pipeline, items: readonly StatsItem[]): void;
}

/** Anything whose value is one command's reply, so many can be read in one pipeline. */
export interface Readable {
  readonly store: Store;
  queueValue(pipe: Pipeline): void;
  parseValue(reply: Reply): number;
}

export interface CounterOptions {
  store: Store;
  key?: string;
  /** Seconds between two maintenance runs (expiry, rolling, retention). */
  cycleTime?: number;
  /** Defaults to the process-wide scheduler. */
  scheduler?: StatsScheduler;
  /** Seconds since the epoch (float); defaults to the local clock, as the original uses. */
  clock?: () => number;
}

export interface SteppedCounterOptions extends CounterOptions {
  /** Start of the first window (seconds); defaults to `now` floored to a multiple of `window`. */
  startTime?: number | null;
  /** Window length in seconds; null for none (no rolling). */
  window?: number | null;
  /** Move on to a new date-suffixed key whenever a window has passed. */
  roll?: boolean;
  /** When rolling, how many rolled keys to keep (the newest); null or 0 keeps all. */
  keepMax?: number | null;
}

export const DEFAULT_CYCLE_TIME = 5;
export const DEFAULT_KEEP_MAX = 12;

/**
 * The factories' defaults (window one hour, rolling, 12 windows kept). An explicit `window: null`
 * means no window; an explicit `undefined` counts as not given.
 */
export function steppedDefaults(options: SteppedCounterOptions): SteppedCounterOptions {
  return {
    ...options,
    window: options.window === undefined ? SECONDS_1_HOUR : options.window,
    roll: options.roll ?? true,
    keepMax: options.keepMax === undefined ? DEFAULT_KEEP_MAX : options.keepMax,
  };
}

/** Unique and HLL counters count items; calling them without one is a programming error. */
export function requireItem(item: StatsItem | undefined, counter: string): string {
  if (item === undefined) throw new TypeError(`${counter}.increment() needs an item`);
  return String(item);
}

const systemClock = (): number => Date.now() / 1000;

/** Throws the first failed reply of an executed pipeline. */
export async function execChecked(pipe: Pipeline): Promise<Reply[]> {
  if (pipe.length === 0) return [];
  const replies = await pipe.exec();
  const failed = replies.find((r) => r instanceof Error);
  if (failed) throw failed;
  return replies as Reply[];
}

/**
 * The original ThreadedCounter without the thread: key naming and rolling, window alignment and
 * retention, with the periodic work done by a StatsScheduler. Rolling is also checked on every
 * increment and read, so a counter never writes a past window's key between two maintenance runs.
 */
export abstract class StatsCounter implements BulkIncrementable, Readable, MaintainedCounter {
  readonly store: Store;
  readonly key: string;
  readonly cycleTime: number;
  readonly window: number | null;
  readonly roll: boolean;
  readonly keepMax: number | null;
  protected readonly clock: () => number;
  private readonly scheduler: StatsScheduler;
  private windowStart: number | null;
  private finalKey: string;
  /** Retention runs once at start and after each roll: only then can the set of kept keys change. */
  private purgeDue = true;

  protected constructor(defaultKey: string, options: SteppedCounterOptions) {
    this.store = options.store;
    this.key = options.key ?? defaultKey;
    this.cycleTime = options.cycleTime ?? DEFAULT_CYCLE_TIME;
    this.scheduler = options.scheduler ?? defaultStatsScheduler;
    this.clock = options.clock ?? systemClock;
    if (!(this.cycleTime > 0)) throw new RangeError(`cycleTime must be positive, got ${this.cycleTime}`);

    const window = options.window ?? null;
    if (window !== null && !(window > 0)) throw new RangeError(`window must be positive, got ${window}`);
    this.window = window;
    const startTime = options.startTime ?? null;
    this.windowStart =
      startTime === null && window !== null ? alignWindowStart(this.clock(), window) : startTime;
    this.roll = window !== null && this.windowStart !== null && (options.roll ?? false);
    const keepMax = options.keepMax ?? null;
    this.keepMax = this.roll && keepMax !== null && keepMax > 0 ? Math.floor(keepMax) : null;
    this.finalKey = this.computeKey();
  }

  /** Start of the current window in seconds, or null without a window. */
  get startTime(): number | null {
    return this.windowStart;
  }

  /** The key in use now: `<key>:<YYYY-mm-dd_HH:MM:SS>` when rolling, else `key`. */
  getKey(): string {
    return this.keyAt(this.clock());
  }

  /** True once the current window has passed. */
  isExpired(now: number = this.clock()): boolean {
    return this.window !== null && this.windowStart !== null && now - this.windowStart >= this.window;
  }

  /** Counts one hit (or `item`) in its own round trip; see incrementAll/StatsBatch for many counters. */
  async increment(item?: StatsItem): Promise<void> {
    const pipe = this.store.pipeline();
    this.queueIncrement(pipe, item);
    await execChecked(pipe);
  }

  /** Adds this counter's increment to `pipe` (nothing when the hit falls outside a fixed window). */
  abstract queueIncrement(pipe: Pipeline, item?: StatsItem): void;

  /** One hit per item; counters override this to send a single command for all of them. */
  queueIncrementMany(pipe: Pipeline, items: readonly StatsItem[]): void {
    for (const item of items) this.queueIncrement(pipe, item);
  }

  async value(): Promise<number> {
    const pipe = this.store.pipeline();
    this.queueValue(pipe);
    const [reply] = await execChecked(pipe);
    return this.parseValue(reply ?? null);
  }

  /** Adds exactly one command whose reply `parseValue` turns into the counter's value. */
  queueValue(pipe: Pipeline): void {
    const [command, ...args] = this.valueCommand(this.getKey());
    pipe.call(command, ...args);
  }

  parseValue(reply: Reply): number {
    return typeof reply === 'number' ? reply : Number(reply ?? 0);
  }

  protected abstract valueCommand(key: string): [string, ...Arg[]];

  async deleteKey(): Promise<void> {
    await this.store.del(this.getKey());
  }

  /** Registers with the scheduler; the factories call it. */
  start(): this {
    this.scheduler.register(this);
    return this;
  }

  /** Stops this counter's maintenance; its keys stay. */
  stop(): void {
    this.scheduler.unregister(this);
  }

  get active(): boolean {
    return this.scheduler.has(this);
  }

  queueMaintenance(pipe: Pipeline): void {
    const now = this.clock();
    this.rollIfDue(now);
    this.queueExpire(pipe, now);
  }

  /** Expiry commands for this cycle; none by default. */
  protected queueExpire(_pipe: Pipeline, _now: number): void {}

  /**
   * Keeps only the newest `keepMax` rolled keys of this counter (the current window's key counting as
   * one even before its first write), found with SCAN and deleted in one call. Runs at start and after
   * each roll, retrying on failure. (The original matched `<current rolled key>:*`, which never matches
   * a rolled key, so it kept everything.)
   */
  async purgeOld(): Promise<void> {
    if (this.keepMax === null || !this.purgeDue) return;
    this.purgeDue = false;
    try {
      const { glob, exact } = rolledKeyPattern(this.key);
      const current = this.finalKey;
      const found = new Set<string>([current]);
      for await (const keys of this.store.scan(glob)) for (const k of keys) if (exact.test(k)) found.add(k);
      // The date suffix sorts chronologically, so the newest come first in descending order.
      const old = [...found]
        .sort()
        .reverse()
        .slice(this.keepMax)
        .filter((k) => k !== current);
      if (old.length > 0) await this.store.del(...old);
    } catch (err) {
      this.purgeDue = true;
      throw err;
    }
  }

  /** The key for a hit at `now`, rolling first if a window has passed. */
  protected keyAt(now: number): string {
    this.rollIfDue(now);
    return this.finalKey;
  }

  /** Moves to the window holding `now` (in one step, however many windows have passed). */
  protected rollIfDue(now: number): void {
    if (!this.roll || !this.isExpired(now)) return;
    const window = this.window!;
    const start = this.windowStart!;
    this.windowStart = start + Math.floor((now - start) / window) * window;
    this.finalKey = this.computeKey();
    this.purgeDue = true;
  }

  private computeKey(): string {
    return this.roll ? rolledKey(this.key, this.windowStart!) : this.key;
  }
}
