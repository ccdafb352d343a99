/**
 * A bounded map whose entries live at most `maxAgeMs` (and at least half of it, unless more than `max`
 * entries arrive in that time): two generations, the older dropped whole when the newer is half the age
 * limit old or holds `max` entries. Far cheaper per operation than an LRU with per-entry expiry, for caches
 * on the per-link hot path where an entry forgotten early only costs a lookup elsewhere.
 */
export class RecentMap<V> {
  private current = new Map<string, V>();
  private previous = new Map<string, V>();
  /** When each generation received its first entry (or was started). */
  private currentSince: number;
  private previousSince: number;

  constructor(
    private readonly maxAgeMs: number,
    private readonly max: number,
    private readonly now: () => number = Date.now,
  ) {
    this.currentSince = this.previousSince = now();
  }

  get(key: string): V | undefined {
    this.expire();
    return this.current.get(key) ?? this.previous.get(key);
  }

  has(key: string): boolean {
    this.expire();
    return this.current.has(key) || this.previous.has(key);
  }

  set(key: string, value: V): void {
    this.expire();
    if (this.current.size >= this.max) this.rotate(this.now());
    this.current.set(key, value);
  }

  get size(): number {
    return this.current.size + this.previous.size;
  }

  clear(): void {
    this.current.clear();
    this.previous.clear();
  }

  private expire(): void {
    const now = this.now();
    if (now - this.currentSince >= this.maxAgeMs / 2) this.rotate(now);
    else if (this.previous.size > 0 && now - this.previousSince >= this.maxAgeMs) this.previous = new Map();
  }

  private rotate(now: number): void {
    this.previous = this.current;
    this.previousSince = this.currentSince;
    this.current = new Map();
    this.currentSince = now;
    if (now - this.previousSince >= this.maxAgeMs) this.previous = new Map();
  }
}
