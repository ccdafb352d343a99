import { backoffDelay } from '../../core/backoff.js';
import type { Logger } from '../../core/logging/index.js';
import { isStoreUnavailable, type Store } from '../../core/store/index.js';
import { redisKeys as K } from '../../core/wire/keys.js';
import type { QueueDirectory } from './queue-directory.js';
import { leaseAckMany, leaseReturn } from './scripts.js';
import type { Lease } from './types.js';

interface PendingAck {
  lease: Lease;
  outcome: 'published' | 'failed' | null;
  resolve: (held: boolean) => void;
  reject: (err: unknown) => void;
  /** Tries so far, and until when trying again is worth it (the lease's end: then it is reaped anyway). */
  tries: number;
  until: number;
}

/**
 * Lease settlement: the leases this crawler holds, their acknowledgements (gathered per turn of the event
 * loop into one script call, and kept through a store outage), hand-backs, and the reaping of expired
 * leases of any crawler.
 */
export class LeaseBook {
  readonly held = new Map<string, Lease>();
  /** Acknowledgements waiting for the end of this turn of the event loop, to be sent in one call. */
  private pendingAcks: PendingAck[] = [];

  constructor(
    private readonly store: Store,
    private readonly directory: QueueDirectory,
    private readonly options: {
      spiderid: string;
      leaseSeconds: number;
      crawlStatsTimeout: number;
      logger: Logger;
    },
  ) {}

  /** Leases this crawler holds now. */
  get heldLeases(): Lease[] {
    return [...this.held.values()];
  }

  /**
   * Ends a lease and counts its outcome for the crawl: `published`, `failed`, or null when a retry was
   * queued instead. Returns false when the lease had already expired (another crawler may redo it).
   */
  async ack(lease: Lease, outcome: 'published' | 'failed' | null): Promise<boolean> {
    this.held.delete(lease.id);
    // Pages Kafka confirmed in one batch finish in the same turn: their acks go in one script call.
    return new Promise<boolean>((resolve, reject) => {
      const until = Date.now() + this.options.leaseSeconds * 1000;
      this.queueAck({ lease, outcome, resolve, reject, tries: 0, until });
    });
  }

  private queueAck(ack: PendingAck): void {
    this.pendingAcks.push(ack);
    if (this.pendingAcks.length === 1) setImmediate(() => void this.sendAcks());
  }

  private async sendAcks(): Promise<void> {
    const batch = this.pendingAcks;
    this.pendingAcks = [];
    const keys = [
      K.leased(this.options.spiderid),
      K.leases(this.options.spiderid),
      K.attempts(this.options.spiderid),
    ];
    const statsIndex = new Map<string, number>();
    const args: (string | number)[] = [this.options.crawlStatsTimeout];
    for (const { lease, outcome } of batch) {
      const { appid, crawlid } = lease.request.meta as { appid?: unknown; crawlid?: unknown };
      const stats = K.crawlStats(this.options.spiderid, String(appid), String(crawlid));
      let index = statsIndex.get(stats);
      if (index === undefined) {
        keys.push(stats);
        index = keys.length; // 1-based, as Lua's KEYS
        statsIndex.set(stats, index);
      }
      args.push(lease.id, outcome ?? '', index, lease.attemptsField ?? '');
    }
    try {
      const held = (await this.store.run(leaseAckMany, keys, args)) as number[];
      batch.forEach((b, i) => b.resolve(held[i] === 1));
    } catch (err) {
      // The store is down: the page is already published, so the ack is kept and sent again with backoff
      // (an ack lost here would let the lease expire and the page be fetched and published twice).
      const now = Date.now();
      for (const b of batch) {
        const delay = backoffDelay(b.tries++, { initialMs: 100, maxMs: 5000 });
        if (!isStoreUnavailable(err) || now + delay > b.until) b.reject(err);
        else setTimeout(() => this.queueAck(b), delay).unref();
      }
    }
  }

  /**
   * Hands leases back to their queues at once: on shutdown, uncounted (the work was merely interrupted);
   * with `countAttempt` after an unexpected error, counted as an attempt with no outcome, so a request
   * that fails that way every time is given up after LEASE_MAX_ATTEMPTS (see the engine).
   */
  async returnLeases(
    leases: Lease[] = this.heldLeases,
    options: { countAttempt?: boolean } = {},
  ): Promise<number> {
    if (leases.length === 0) return 0;
    const pipe = this.store.pipeline();
    for (const l of leases) {
      this.held.delete(l.id);
      pipe.run(leaseReturn, this.returnKeys(l.queue), [
        l.id,
        0,
        options.countAttempt ? 1 : 0,
        this.options.crawlStatsTimeout,
      ]);
    }
    return (await pipe.exec()).filter((r) => r === 1).length;
  }

  private returnKeys(queue: string): string[] {
    const spiderid = this.options.spiderid;
    return [K.leased(spiderid), K.leases(spiderid), queue, K.attempts(spiderid)];
  }

  /** Returns expired leases of any crawler to their queues; safe to run from every crawler. */
  async reapExpired(limit = 200): Promise<number> {
    const leased = K.leased(this.options.spiderid);
    const leasesKey = K.leases(this.options.spiderid);
    const now = await this.store.time();
    const due = await this.store.zrangeByScore(leasesKey, '-inf', now, { offset: 0, count: limit });
    if (due.length === 0) return 0;
    const records = await this.store.hmget(
      leased,
      due.map((d) => d.member),
    );
    const pipe = this.store.pipeline();
    due.forEach(({ member }, i) => {
      const record = records[i];
      if (!record) {
        pipe.call('ZREM', leasesKey, member);
        return;
      }
      const queue = (JSON.parse(record) as { queue: string }).queue;
      // An expired lease is counted as an attempt: its crawler died or hung while holding it.
      pipe.run(leaseReturn, this.returnKeys(queue), [member, 1, 1, this.options.crawlStatsTimeout]);
      this.directory.know(queue);
    });
    const returned = (await pipe.exec()).filter((r) => r === 1).length;
    if (returned > 0) this.options.logger.info('Returned expired leases to their queues', { returned });
    return returned;
  }
}
