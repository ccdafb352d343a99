import { EventEmitter } from 'node:events';
import type { Arg, Reply } from '../types.js';
import { formatScore } from '../reply.js';
import { COMMANDS } from './commands/index.js';
import { SortedSet } from './sorted-set.js';
import { typeName, WRONGTYPE, type Kind, type Value } from './values.js';

/**
 * An in-process interpreter for the Redis commands the project uses, with Redis's reply shapes, type
 * errors and key expiry. Single-threaded, so every command (and every script built on `exec`) is atomic.
 * Emits `push:<key>` when a list grows so blocking pops can wake up.
 */
export class MemoryEngine extends EventEmitter {
  private readonly data = new Map<string, Value>();
  private readonly expiries = new Map<string, number>();
  private readonly scans = new Map<number, string[]>();
  private nextCursor = 1;

  constructor(readonly now: () => number = () => performance.timeOrigin + performance.now()) {
    super();
    this.setMaxListeners(0);
  }

  exec(command: string, args: Arg[]): Reply {
    const handler = COMMANDS[command.toUpperCase()];
    if (!handler) throw new Error(`ERR unknown command '${command}'`);
    return handler(
      this,
      args.map((a) => (typeof a === 'number' ? formatScore(a) : a)),
    );
  }

  // ---- key space -------------------------------------------------------------------------------------

  lookup(key: string): Value | undefined {
    const at = this.expiries.get(key);
    if (at !== undefined && at <= this.now()) {
      this.data.delete(key);
      this.expiries.delete(key);
      return undefined;
    }
    return this.data.get(key);
  }

  typed<K extends Kind>(key: string, kind: K): Extract<Value, { t: K }> | undefined {
    const v = this.lookup(key);
    if (v === undefined) return undefined;
    if (v.t !== kind) throw new Error(WRONGTYPE);
    return v as Extract<Value, { t: K }>;
  }

  /** Gets or creates a container value of the given kind. */
  container<K extends 'set' | 'zset' | 'list' | 'hash' | 'hll'>(
    key: string,
    kind: K,
  ): Extract<Value, { t: K }> {
    const existing = this.typed(key, kind);
    if (existing) return existing;
    const fresh = (
      kind === 'set' || kind === 'hll'
        ? { t: kind, v: new Set<string>() }
        : kind === 'zset'
          ? { t: kind, v: new SortedSet() }
          : kind === 'list'
            ? { t: kind, v: [] as string[] }
            : { t: kind, v: new Map<string, string>() }
    ) as Extract<Value, { t: K }>;
    this.data.set(key, fresh);
    return fresh;
  }

  /** Redis deletes containers that become empty. */
  dropIfEmpty(key: string): void {
    const v = this.data.get(key);
    if (!v) return;
    const size =
      v.t === 'set' || v.t === 'hll' || v.t === 'hash' || v.t === 'zset'
        ? v.v.size
        : v.t === 'list'
          ? v.v.length
          : 1;
    if (size === 0) this.remove(key);
  }

  put(key: string, value: Value, keepTtl = false): void {
    this.data.set(key, value);
    if (!keepTtl) this.expiries.delete(key);
  }

  remove(key: string): boolean {
    const existed = this.lookup(key) !== undefined;
    this.data.delete(key);
    this.expiries.delete(key);
    return existed;
  }

  setExpiry(key: string, atMs: number): boolean {
    if (this.lookup(key) === undefined) return false;
    if (atMs <= this.now()) this.remove(key);
    else this.expiries.set(key, atMs);
    return true;
  }

  expiryOf(key: string): number | undefined {
    return this.expiries.get(key);
  }

  scan(cursor: number, match: RegExp | null, count: number, type: string | null): [number, string[]] {
    let snapshot = cursor === 0 ? [...this.data.keys()] : this.scans.get(cursor);
    this.scans.delete(cursor);
    if (!snapshot) snapshot = [];
    const batch = snapshot.splice(0, Math.max(1, count));
    const keys = batch.filter((k) => {
      const v = this.lookup(k);
      if (v === undefined) return false;
      if (match && !match.test(k)) return false;
      return type === null || typeName(v) === type;
    });
    if (snapshot.length === 0) return [0, keys];
    const next = this.nextCursor++;
    this.scans.set(next, snapshot);
    // Abandoned iterations must not pile up.
    if (this.scans.size > 256) this.scans.delete(this.scans.keys().next().value!);
    return [next, keys];
  }

  flush(): void {
    this.data.clear();
    this.expiries.clear();
    this.scans.clear();
  }

  get size(): number {
    return this.data.size;
  }
}
