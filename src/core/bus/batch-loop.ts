import type { BusMessage } from './types.js';
import { pause as sleep } from '../backoff.js';

/**
 * Drives a subscription's handler: takes up to `maxBatch` buffered records, runs the handler until it
 * succeeds (backing off after failures), then acknowledges them. Shared by both bus backends so they
 * retry and acknowledge identically.
 */
export class BatchLoop {
  private readonly buffer: BusMessage[] = [];
  private wake: (() => void) | undefined;
  private stopped = false;
  /** How many records at the buffer's head are in the running handler's batch. */
  private inFlight = 0;
  readonly done: Promise<void>;

  constructor(
    private readonly options: {
      maxBatch: number;
      handler: (messages: BusMessage[]) => Promise<void>;
      acknowledge: (messages: BusMessage[]) => Promise<void>;
      onError: (error: Error) => void;
      /** Called when the buffer drained below the low-water mark (to resume a paused source). */
      onDrain?: () => void;
    },
  ) {
    this.done = this.run();
  }

  get buffered(): number {
    return this.buffer.length;
  }

  push(message: BusMessage): void {
    this.buffer.push(message);
    this.wake?.();
  }

  /**
   * Forgets buffered records that were not handed out yet (after a partition moved elsewhere, or the
   * consumer was re-created and will deliver them again). The running batch is left alone.
   */
  discard(predicate: (m: BusMessage) => boolean = () => true): void {
    for (let i = this.buffer.length - 1; i >= this.inFlight; i--)
      if (predicate(this.buffer[i]!)) this.buffer.splice(i, 1);
  }

  /**
   * Stops after the running handler (if any) finishes and is acknowledged, waiting at most `graceMs`;
   * a handler still running then is abandoned and its records stay uncommitted.
   */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopped = true;
    this.wake?.();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.done, new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      if (this.buffer.length === 0) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      const batch = this.buffer.slice(0, this.options.maxBatch);
      this.inFlight = batch.length;
      try {
        await this.options.handler(batch);
      } catch (err) {
        this.inFlight = 0;
        this.options.onError(err instanceof Error ? err : new Error(String(err)));
        failures++;
        await sleep(Math.min(100 * 2 ** Math.min(failures, 6), 5_000));
        continue;
      }
      failures = 0;
      this.buffer.splice(0, batch.length);
      this.inFlight = 0;
      try {
        await this.options.acknowledge(batch);
      } catch (err) {
        this.options.onError(err instanceof Error ? err : new Error(String(err)));
      }
      if (this.buffer.length < this.options.maxBatch) this.options.onDrain?.();
    }
  }
}
