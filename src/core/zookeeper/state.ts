import type { HandlerSet } from './handlers.js';

/**
 * What the watcher last saw and told its user. Kept apart from the connection handling so that the
 * "report each real change exactly once" rule lives in one place: contents are compared with what was
 * last reported, not with what was last read, so reconnects, re-armed watches, periodic re-reads and
 * duplicate notifications never produce a second call for the same contents.
 */
export class WatchState {
  private valid = false;
  private contents = '';
  private pointer = '';
  private stopped = false;

  constructor(private readonly handlers: HandlerSet) {}

  isValid(): boolean {
    return this.valid;
  }

  /** The last contents read from the watched (or pointed-at) node; '' before the first read. */
  fileContents(): string {
    return this.contents;
  }

  /** The last pointer path read (pointer mode); '' before the first read. */
  pointerContents(): string {
    return this.pointer;
  }

  setPointer(path: string): void {
    this.pointer = path;
  }

  /**
   * A successful read. The baseline is '' as in the original, so an empty node at start-up is not
   * reported; the config handler runs before the valid handler, also as in the original.
   */
  accept(contents: string): void {
    if (this.stopped) return;
    if (contents !== this.contents) {
      this.contents = contents;
      this.handlers.config(contents);
      if (this.stopped) return;
    }
    this.setValid(true);
  }

  /** Something is wrong: turn invalid and say why. The last contents stay available (circuit breaker). */
  invalidate(message: string): void {
    if (this.stopped) return;
    this.setValid(false);
    this.handlers.error(message);
  }

  /** After close(): no more handler calls, and isValid() answers false. */
  stop(): void {
    this.stopped = true;
    this.valid = false;
  }

  private setValid(valid: boolean): void {
    if (this.valid === valid) return;
    this.valid = valid;
    this.handlers.valid(valid);
  }
}
