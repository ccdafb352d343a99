import type { Store } from '../../core/store/index.js';
import type { QueuedRequest } from '../../core/wire/request-codec.js';
import { DomainHolds } from './domain-holds.js';
import { Enqueuer } from './enqueuer.js';
import { LeaseBook } from './lease-book.js';
import { LeasePlanner } from './lease-planner.js';
import { QueueDirectory } from './queue-directory.js';
import type { EnqueueStatus, FrontierOptions, Lease } from './types.js';

export type {
  DomainThrottle,
  EnqueueStatus,
  FrontierObserver,
  FrontierOptions,
  FrontierPolicy,
  Lease,
} from './types.js';

/**
 * The crawler's view of the shared frontier, one object over its parts: queue discovery
 * (queue-directory.ts), lease planning under the cluster-wide throttle (lease-planner.ts), lease
 * settlement and reaping (lease-book.ts), enqueueing follow-up requests (enqueuer.ts), and the holds and
 * Crawl-delay slots sites ask for (domain-holds.ts).
 */
export class Frontier {
  private readonly directory: QueueDirectory;
  private readonly book: LeaseBook;
  private readonly planner: LeasePlanner;
  private readonly enqueuer: Enqueuer;
  private readonly holds: DomainHolds;

  constructor(
    private readonly store: Store,
    private readonly options: FrontierOptions,
  ) {
    this.directory = new QueueDirectory(store, options);
    this.book = new LeaseBook(store, this.directory, options);
    this.planner = new LeasePlanner(store, this.directory, this.book, options);
    this.enqueuer = new Enqueuer(store, this.directory, options);
    this.holds = new DomainHolds(store, this.directory, options);
  }

  get spiderid(): string {
    return this.options.spiderid;
  }

  /** Leases this crawler holds now. */
  get heldLeases(): Lease[] {
    return this.book.heldLeases;
  }

  /** How many leases this crawler holds now (no copy, for metrics). */
  get heldCount(): number {
    return this.book.held.size;
  }

  get knownQueues(): number {
    return this.directory.queues.size;
  }

  /** The keys of the queues this crawler knows (for the backlog in the progress line). */
  knownQueueKeys(): string[] {
    return [...this.directory.queues.keys()];
  }

  /** SCANs for this spider's queues when the refresh interval passed (or when forced). */
  refreshQueues(force = false): Promise<void> {
    return this.directory.refresh(force);
  }

  /** Makes a queue known right away (this crawler just enqueued into it). */
  know(key: string): void {
    this.directory.know(key);
  }

  /** Milliseconds until some known queue may yield, for sleeping when nothing is ready. */
  msUntilReady(): number {
    return this.directory.msUntilReady();
  }

  /** Follows queue announcements; see QueueDirectory.followAnnouncements. */
  followAnnouncements(onAnnounced: () => void): Promise<() => Promise<void>> {
    return this.directory.followAnnouncements(onAnnounced);
  }

  /** Leases up to `max` requests, at most `perDomain(domain)` per domain; see LeasePlanner.lease. */
  lease(
    max: number,
    perDomain: (domain: string) => number,
    idle?: (domain: string) => boolean,
  ): Promise<Lease[]> {
    return this.planner.lease(max, perDomain, idle);
  }

  /** Ends a lease and counts its outcome; see LeaseBook.ack. */
  ack(lease: Lease, outcome: 'published' | 'failed' | null): Promise<boolean> {
    return this.book.ack(lease, outcome);
  }

  /**
   * Ends a lease and queues its follow-up (a retry or a redirect's target) in one atomic step; see
   * Enqueuer.requeue.
   */
  requeue(
    lease: Lease,
    next: { request: QueuedRequest; fingerprint: string; priority: number },
  ): Promise<EnqueueStatus | 'gone'> {
    this.book.held.delete(lease.id);
    return this.enqueuer.requeue(lease, next);
  }

  /** Hands leases back to their queues; see LeaseBook.returnLeases. */
  returnLeases(leases?: Lease[], options: { countAttempt?: boolean } = {}): Promise<number> {
    return this.book.returnLeases(leases, options);
  }

  /** Returns expired leases of any crawler to their queues; safe to run from every crawler. */
  reapExpired(limit?: number): Promise<number> {
    return this.book.reapExpired(limit);
  }

  /** Queues follow-up requests after the original's checks; see Enqueuer.enqueue. */
  enqueue(
    requests: { request: QueuedRequest; fingerprint: string; priority: number }[],
  ): Promise<EnqueueStatus[]> {
    return this.enqueuer.enqueue(requests);
  }

  /** Records a seed request's fingerprint so a link back to the seed is not crawled twice. */
  rememberSeed(crawlid: string, fingerprint: string): Promise<void> {
    return this.enqueuer.rememberSeed(crawlid, fingerprint);
  }

  /** Holds a domain for every crawler (Retry-After); see DomainHolds.hold. */
  hold(domain: string, seconds: number): Promise<number | undefined> {
    return this.holds.hold(domain, seconds);
  }

  /** Notes a domain's Crawl-delay for `info`. */
  noteCrawlDelay(domain: string, seconds: number): Promise<void> {
    return this.holds.noteCrawlDelay(domain, seconds);
  }

  /** Reserves a fetch slot under a domain's Crawl-delay; resolves with the milliseconds to wait. */
  crawlDelaySlot(domain: string, delaySeconds: number): Promise<number> {
    return this.holds.crawlDelaySlot(domain, delaySeconds);
  }

  /** Resolves when the store answers (a PING), rejects while it is out of reach. */
  async probe(): Promise<void> {
    await this.store.call('PING');
  }
}
