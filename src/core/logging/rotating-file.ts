import { closeSync, fstatSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export interface RotatingFileOptions {
  /** The active log file; rotated copies are `path.1` (newest) to `path.<backups>` (oldest). */
  path: string;
  /** Rotate before a write that would bring the file to this size; 0 disables rotation. */
  maxBytes: number;
  /** How many rotated copies to keep; 0 disables rotation (as in Python's RotatingFileHandler). */
  backups: number;
}

function renameIfExists(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/**
 * A synchronous, size-rotating log file with Python RotatingFileHandler naming. Writes go straight to the
 * file (no buffering), so nothing is lost when the process dies. Meant for one writing process per file.
 */
export class RotatingFileDestination {
  readonly path: string;
  private readonly maxBytes: number;
  private readonly backups: number;
  private fd: number | undefined;
  private size: number;

  constructor({ path, maxBytes, backups }: RotatingFileOptions) {
    this.path = path;
    this.maxBytes = maxBytes;
    this.backups = backups;
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'a');
    this.size = fstatSync(this.fd).size;
  }

  write(chunk: string): boolean {
    if (this.fd === undefined) return false;
    const bytes = Buffer.byteLength(chunk);
    let rotateError: Error | undefined;
    // An empty file is never rotated, so one oversized line cannot leave empty backups behind.
    if (this.maxBytes > 0 && this.backups > 0 && this.size > 0 && this.size + bytes >= this.maxBytes) {
      try {
        this.rotate(this.fd);
      } catch (err) {
        // Still write the line below; the caller hears about the failed rotation afterwards.
        rotateError = err instanceof Error ? err : new Error(String(err));
      }
    }
    if (this.fd !== undefined) {
      writeSync(this.fd, chunk);
      this.size += bytes;
    }
    if (rotateError !== undefined) throw rotateError;
    return true;
  }

  /** Shifts `.N-1` → `.N` ... `file` → `file.1`, dropping the oldest, and starts a fresh file. */
  private rotate(fd: number): void {
    closeSync(fd);
    this.fd = undefined;
    try {
      for (let i = this.backups - 1; i >= 1; i--)
        renameIfExists(`${this.path}.${i}`, `${this.path}.${i + 1}`);
      renameIfExists(this.path, `${this.path}.1`);
    } finally {
      // Reopen whatever is at the path now: a fresh file, or the old one if renaming failed.
      this.fd = openSync(this.path, 'a');
      this.size = fstatSync(this.fd).size;
    }
  }

  /** Writes are synchronous; nothing is ever pending. */
  flushSync(): void {}

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}
