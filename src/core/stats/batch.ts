import type { Pipeline, Store } from '../store/types.js';
import {
  execChecked,
  type BulkIncrementable,
  type Incrementable,
  type Readable,
  type StatsItem,
} from './base-counter.js';

/**
 * Collects increments of many counters and sends them in one pipeline per store (usually exactly one
 * round trip), so a message that touches a dozen counters costs one trip to Redis, not a dozen.
 */
export class StatsBatch {
  private readonly pipes = new Map<Store, Pipeline>();

  /** Queues `target`'s increment; nothing is sent before flush(). */
  add(target: Incrementable, item?: StatsItem): this {
    target.queueIncrement(this.pipeFor(target.store), item);
    return this;
  }

  /** Queues one hit per item, with one command per key. */
  addMany(target: BulkIncrementable, items: readonly StatsItem[]): this {
    target.queueIncrementMany(this.pipeFor(target.store), items);
    return this;
  }

  /** Commands waiting to be sent. */
  get length(): number {
    let n = 0;
    for (const p of this.pipes.values()) n += p.length;
    return n;
  }

  /** Sends everything queued; rejects with the first failed command's error. The batch is then empty. */
  async flush(): Promise<void> {
    const pipes = [...this.pipes.values()];
    this.pipes.clear();
    await Promise.all(pipes.map((p) => execChecked(p)));
  }

  private pipeFor(store: Store): Pipeline {
    let pipe = this.pipes.get(store);
    if (!pipe) {
      pipe = store.pipeline();
      this.pipes.set(store, pipe);
    }
    return pipe;
  }
}

/** Increments every target (with the same item) in one round trip per store. */
export async function incrementAll(targets: Iterable<Incrementable>, item?: StatsItem): Promise<void> {
  const batch = new StatsBatch();
  for (const t of targets) batch.add(t, item);
  await batch.flush();
}

/** Reads every counter's value in one round trip per store, in the order given. */
export async function readValues(counters: readonly Readable[]): Promise<number[]> {
  const groups = new Map<Store, { pipe: Pipeline; indexes: number[] }>();
  counters.forEach((c, i) => {
    let g = groups.get(c.store);
    if (!g) {
      g = { pipe: c.store.pipeline(), indexes: [] };
      groups.set(c.store, g);
    }
    c.queueValue(g.pipe);
    g.indexes.push(i);
  });
  const values = new Array<number>(counters.length).fill(0);
  await Promise.all(
    [...groups.values()].map(async ({ pipe, indexes }) => {
      const replies = await execChecked(pipe);
      indexes.forEach((counterIndex, j) => {
        values[counterIndex] = counters[counterIndex]!.parseValue(replies[j] ?? null);
      });
    }),
  );
  return values;
}
