import type { Store } from '../../core/store/index.js';
import { domainOfQueue, redisKeys as K } from '../../core/wire/keys.js';

/** What this crawler knows of one domain queue. */
export interface KnownQueue {
  key: string;
  domain: string;
  /** Local time (ms) before which asking is pointless (throttled, moderated, held or empty). */
  nextTry: number;
  /** Permitted leases so far, capped at the limit: the elastic warm-up of the original. */
  leases: number;
  emptyStreak: number;
  lastActive: number;
  /** When this crawler last put requests into it (or returned leases to it). */
  touched: number;
  /** Its place in `active`, or -1 while it is parked (Redis had no such key at the last SCAN). */
  slot: number;
}

/** At most this many hot queues are remembered (see QueueDirectory.hot). */
const HOT_QUEUES = 256;

/**
 * Queue discovery: the domain queues of one spider this crawler knows, found by SCAN every
 * SCHEDULER_QUEUE_REFRESH seconds and at once from queue announcements, with, per queue, when asking again
 * could succeed. Only the ready queues cost a Redis call, however many thousands are known.
 */
export class QueueDirectory {
  readonly queues = new Map<string, KnownQueue>();
  /**
   * The known queues that are not parked, in no particular order: what leasing samples from. Queues Redis
   * had no key for at the last SCAN (finished domains) are parked until they show up again or this crawler
   * enqueues into them, so thousands of finished domains cost neither Redis calls nor a walk per lease.
   */
  readonly active: KnownQueue[] = [];
  /**
   * Queues whose last lease left more behind, oldest first (at most HOT_QUEUES). When the caller says a
   * domain has nothing downloading, its hot queue is asked first, so a site's pages follow one another on
   * its open keep-alive connection instead of each waiting for a random turn and opening a new one.
   */
  readonly hot = new Set<KnownQueue>();
  private lastRefresh = 0;

  constructor(
    private readonly store: Store,
    private readonly options: { spiderid: string; queueRefresh: number; queueTimeout: number },
  ) {}

  /** SCANs for this spider's queues when the refresh interval passed (or when forced). */
  async refresh(force = false): Promise<void> {
    const now = Date.now();
    if (!force && now - this.lastRefresh < this.options.queueRefresh * 1000) return;
    this.lastRefresh = now;
    const seen = new Set<string>();
    for await (const keys of this.store.scan(K.queuePattern(this.options.spiderid), 1000)) {
      for (const key of keys) {
        if (key.split(':').length !== 3) continue;
        seen.add(key);
        this.know(key, now);
      }
    }
    for (const [key, q] of this.queues) {
      if (seen.has(key)) continue;
      if (now - q.lastActive > this.options.queueTimeout * 1000) {
        this.deactivate(q);
        this.queues.delete(key);
      } else if (q.touched < now && q.lastActive < now) {
        // Redis has no such key, i.e. the queue is empty: asking before the next SCAN is pointless, unless
        // this crawler puts requests into it (see know).
        q.emptyStreak = Math.max(q.emptyStreak, 1);
        this.deactivate(q);
      }
    }
  }

  /** Makes a queue known right away (this crawler just enqueued into it, or it was announced). */
  know(key: string, now = Date.now()): void {
    const q = this.queues.get(key);
    if (q) {
      if (q.emptyStreak > 0) q.nextTry = Math.min(q.nextTry, now);
      q.emptyStreak = 0;
      q.touched = Date.now();
      this.activate(q);
      return;
    }
    const added: KnownQueue = {
      key,
      domain: domainOfQueue(key),
      nextTry: now,
      leases: 0,
      emptyStreak: 0,
      lastActive: now,
      touched: Date.now(),
      slot: -1,
    };
    this.queues.set(key, added);
    this.activate(added);
  }

  /** Remembers a queue whose lease left more behind (see `hot`). */
  markHot(q: KnownQueue): void {
    if (this.hot.has(q)) return;
    this.hot.add(q);
    if (this.hot.size > HOT_QUEUES) this.hot.delete(this.hot.values().next().value!);
  }

  /** Milliseconds until some known queue may yield, for sleeping when nothing is ready. */
  msUntilReady(): number {
    let next = Infinity;
    for (const q of this.active) next = Math.min(next, q.nextTry);
    const refreshAt = this.lastRefresh + this.options.queueRefresh * 1000;
    return Math.max(0, Math.min(next, refreshAt) - Date.now());
  }

  /**
   * Follows the announcements of new queues (see redisKeys.queueAnnounce): each announced queue of
   * this spider becomes known and ready at once, and `onAnnounced` runs so an idle crawl loop can lease
   * without waiting for its next SCAN. Resolves to a function that stops following.
   */
  followAnnouncements(onAnnounced: () => void): Promise<() => Promise<void>> {
    const own = `${this.options.spiderid}:`;
    return this.store.subscribe(K.queueAnnounce(this.options.spiderid), (message) => {
      let known = 0;
      for (const key of message.split('\n')) {
        // Only `<spiderid>:<domain>:queue` of this spider, as the SCAN takes them.
        if (!key.startsWith(own) || !key.endsWith(':queue') || key.split(':').length !== 3) continue;
        this.know(key);
        known++;
      }
      if (known > 0) onAnnounced();
    });
  }

  private activate(q: KnownQueue): void {
    if (q.slot >= 0) return;
    q.slot = this.active.length;
    this.active.push(q);
  }

  private deactivate(q: KnownQueue): void {
    this.hot.delete(q);
    if (q.slot < 0) return;
    const last = this.active.pop()!;
    if (last !== q) {
      this.active[q.slot] = last;
      last.slot = q.slot;
    }
    q.slot = -1;
  }
}
