import type { Pipeline, Store } from '../store/types.js';

/** What the scheduler needs from a counter: its store, its cycle and its periodic work. */
export interface MaintainedCounter {
  readonly store: Store;
  /** Seconds between two maintenance runs. */
  readonly cycleTime: number;
  /** Rolls the key when its window has passed and adds this cycle's expiry commands to `pipe`. */
  queueMaintenance(pipe: Pipeline): void;
  /** Retention of old rolled keys; resolves at once when the counter keeps everything. */
  purgeOld(): Promise<void>;
}

export type StatsErrorHandler = (error: Error, counter: MaintainedCounter) => void;

interface CycleGroup {
  readonly counters: Set<MaintainedCounter>;
  readonly timer: NodeJS.Timeout;
  busy: boolean;
}

const MIN_INTERVAL_MS = 5;

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * Runs every registered counter's expiry, rolling and retention work: one timer per distinct cycle time
 * instead of the original's thread per counter, and one pipeline per store and cycle. Errors never stop
 * it (the original's thread survives Redis errors); they go to `onError`. Timers are unref'd, so
 * counters never keep a process alive.
 */
export class StatsScheduler {
  onError: StatsErrorHandler | undefined;
  private readonly groups = new Map<number, CycleGroup>();

  constructor(options: { onError?: StatsErrorHandler } = {}) {
    this.onError = options.onError;
  }

  register(counter: MaintainedCounter): void {
    let group = this.groups.get(counter.cycleTime);
    if (!group) {
      const cycleTime = counter.cycleTime;
      const timer = setInterval(() => void this.tick(cycleTime), Math.max(MIN_INTERVAL_MS, cycleTime * 1000));
      timer.unref();
      group = { counters: new Set(), timer, busy: false };
      this.groups.set(cycleTime, group);
    }
    group.counters.add(counter);
  }

  unregister(counter: MaintainedCounter): void {
    const group = this.groups.get(counter.cycleTime);
    if (!group?.counters.delete(counter)) return;
    if (group.counters.size === 0) {
      clearInterval(group.timer);
      this.groups.delete(counter.cycleTime);
    }
  }

  has(counter: MaintainedCounter): boolean {
    return this.groups.get(counter.cycleTime)?.counters.has(counter) ?? false;
  }

  /** Number of registered counters. */
  get size(): number {
    let n = 0;
    for (const g of this.groups.values()) n += g.counters.size;
    return n;
  }

  /** The distinct cycle times in use, i.e. the number of live timers. */
  get cycleTimes(): number[] {
    return [...this.groups.keys()];
  }

  /** Runs the maintenance of every registered counter now (tests, shutdown), whatever its cycle. */
  async runNow(): Promise<void> {
    const all: MaintainedCounter[] = [];
    for (const g of this.groups.values()) all.push(...g.counters);
    await this.maintain(all);
  }

  stopAll(): void {
    for (const g of this.groups.values()) clearInterval(g.timer);
    this.groups.clear();
  }

  private async tick(cycleTime: number): Promise<void> {
    const group = this.groups.get(cycleTime);
    // A slow store must not pile up overlapping runs of the same group.
    if (!group || group.busy) return;
    group.busy = true;
    try {
      await this.maintain([...group.counters]);
    } finally {
      group.busy = false;
    }
  }

  private async maintain(counters: MaintainedCounter[]): Promise<void> {
    const batches = new Map<Store, { pipe: Pipeline; owners: MaintainedCounter[] }>();
    for (const counter of counters) {
      let batch = batches.get(counter.store);
      if (!batch) {
        batch = { pipe: counter.store.pipeline(), owners: [] };
        batches.set(counter.store, batch);
      }
      const before = batch.pipe.length;
      try {
        counter.queueMaintenance(batch.pipe);
      } catch (err) {
        this.report(err, counter);
      }
      // Remember which counter queued each command, to blame the right one for a failed reply.
      for (let i = before; i < batch.pipe.length; i++) batch.owners.push(counter);
    }
    await Promise.all(
      [...batches.values()].map(async ({ pipe, owners }) => {
        if (pipe.length === 0) return;
        try {
          const replies = await pipe.exec();
          replies.forEach((reply, i) => {
            if (reply instanceof Error) this.report(reply, owners[i]!);
          });
        } catch (err) {
          for (const owner of new Set(owners)) this.report(err, owner);
        }
      }),
    );
    await Promise.all(counters.map((c) => c.purgeOld().catch((err: unknown) => this.report(err, c))));
  }

  private report(err: unknown, counter: MaintainedCounter): void {
    try {
      this.onError?.(asError(err), counter);
    } catch {
      // A failing error handler must not stop the maintenance of the other counters.
    }
  }
}

/** The process-wide scheduler every counter uses unless given another. */
export const defaultStatsScheduler = new StatsScheduler();
