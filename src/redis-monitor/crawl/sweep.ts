import type { Reply, ScriptDef, Store } from '../../core/store/index.js';

export interface SweepOptions {
  /** Members a slice starts with; adapted afterwards to keep each call near `targetMs`. Default 500. */
  chunkSize?: number;
  /** Slices sent per round trip, each on a different key. Default 2. */
  depth?: number;
  /** Wanted server time of one slice, in milliseconds. Default 6. */
  targetMs?: number;
}

export const MIN_CHUNK = 50;
export const MAX_CHUNK = 2000;

/** One key (or key set) being paged through by a cursor script. */
export interface SweepTask<T> {
  keys: string[];
  cursor: string;
  /** Caller data, e.g. the queue's domain. */
  tag: T;
}

/**
 * Runs a cursor script (crawl-tally, crawl-purge, lease-purge) over many keys in bounded slices. Each
 * round trip carries up to `depth` slices on different keys, so the monitor pays one round trip per
 * several thousand members rather than per member, and no single call holds Redis for long: the slice
 * size adapts to the measured cost per member so a call stays near `targetMs` whatever the member size.
 */
export class Sweeper {
  private chunk: number;
  private readonly depth: number;
  private readonly targetMs: number;

  constructor(
    private readonly store: Store,
    options: SweepOptions = {},
  ) {
    this.chunk = clamp(options.chunkSize ?? 500);
    this.depth = Math.max(1, Math.trunc(options.depth ?? 2));
    this.targetMs = options.targetMs ?? 6;
  }

  /** Current slice size (members per call). */
  get chunkSize(): number {
    return this.chunk;
  }

  /**
   * Pages every task to its end. `args` are the script arguments after the cursor and the count;
   * `onSlice` receives each reply (already checked to be an array). A key of the wrong type is skipped;
   * any other failure rejects.
   */
  async run<T>(
    script: ScriptDef,
    tasks: SweepTask<T>[],
    args: string[],
    onSlice: (task: SweepTask<T>, reply: Reply[]) => void,
  ): Promise<void> {
    const pending = [...tasks];
    while (pending.length > 0) {
      const round = pending.splice(0, this.depth);
      const pipe = this.store.pipeline();
      const count = this.chunk;
      for (const task of round) pipe.run(script, task.keys, [task.cursor, count, ...args]);
      const started = performance.now();
      const replies = await pipe.exec();
      const elapsed = performance.now() - started;
      let scanned = 0;
      round.forEach((task, i) => {
        const reply = replies[i];
        if (reply instanceof Error) {
          if (reply.message.startsWith('WRONGTYPE')) return;
          throw reply;
        }
        if (!Array.isArray(reply)) throw new Error(`Unexpected reply from ${script.name}: ${String(reply)}`);
        scanned += Number(reply[1] ?? 0);
        task.cursor = String(reply[0]);
        onSlice(task, reply);
        if (task.cursor !== '0') pending.push(task);
      });
      this.adapt(elapsed, scanned, count * round.length);
    }
  }

  /** Resizes slices from a round's cost, but only when its slices were mostly full (else no signal). */
  private adapt(elapsedMs: number, scanned: number, asked: number): void {
    if (scanned < asked / 2 || scanned === 0) return;
    const perMember = elapsedMs / scanned;
    const wanted = this.targetMs / Math.max(perMember, 1e-4);
    // Grow gently, shrink at once.
    this.chunk = clamp(wanted < this.chunk ? wanted : Math.min(wanted, this.chunk * 2));
  }
}

function clamp(n: number): number {
  return Math.max(MIN_CHUNK, Math.min(MAX_CHUNK, Math.round(n)));
}
