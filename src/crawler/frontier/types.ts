import type { DomainKeyStyle } from '../../core/domain.js';
import type { Logger } from '../../core/logging/index.js';
import type { QueuedRequest } from '../../core/wire/request-codec.js';

// The frontier's vocabulary, shared by its parts (queue directory, lease planner, lease book, enqueuer).

/** Throttle of one domain: `limit` leases per `window` seconds, cluster-wide. */
export interface DomainThrottle {
  window: number;
  limit: number;
  moderate: boolean;
  /** Let a warmed-up moderated queue skip the spacing while its window has room (the original's catch-up). */
  elastic?: boolean;
  /** Redis key name prefix for the window and moderation keys. */
  name: string;
}

/** The crawl policy the frontier asks per domain (the crawler's CrawlPolicy; tests give their own). */
export interface FrontierPolicy {
  /** The domain's throttle, or null when the domain must not be crawled now (ZooKeeper blacklist). */
  throttleFor(domain: string): DomainThrottle | null;
  /**
   * Whether a domain's follow-up requests are dropped instead of queued (ZooKeeper blacklist with
   * SCHEDULER_BACKLOG_BLACKLIST = False); by default blacklisted domains keep their backlog.
   */
  refusesDomain?(domain: string): boolean;
}

export interface FrontierOptions {
  spiderid: string;
  /** This crawler's id, recorded in its leases. */
  owner: string;
  leaseSeconds: number;
  /** How each domain may be crawled: its throttle, and whether its follow-ups are refused. */
  policy: FrontierPolicy;
  /** Seconds between two SCANs for queues (SCHEDULER_QUEUE_REFRESH). */
  queueRefresh: number;
  /** Seconds a queue that stopped yielding is remembered (SCHEDULER_QUEUE_TIMEOUT). */
  queueTimeout: number;
  dupefilterTimeout: number;
  domainMaxPageTimeout: number;
  globalPageLimit: number | null;
  globalPageLimitTimeout: number;
  /** Seconds per-crawl accounting hashes live after their last change. */
  crawlStatsTimeout: number;
  /** How queue keys name a site (DOMAIN_KEYS); must match the Kafka Monitor's. */
  domainKeys?: DomainKeyStyle;
  logger: Logger;
  /** Told what became of requests, for metrics and progress (no Redis work of its own). */
  observer?: FrontierObserver;
}

/** What the frontier reports as it goes (the crawler's metrics and crawl tracking listen). */
export interface FrontierObserver {
  /** Each enqueue batch's requests, their statuses, and the queue key each went to (or would have). */
  enqueued?(requests: readonly { request: QueuedRequest }[], statuses: readonly EnqueueStatus[]): void;
  /** Lease attempts the cluster-wide throttle refused. */
  throttled?(count: number): void;
  /** Requests of stopped or expired crawls dropped off queue heads. */
  dropped?(count: number): void;
}

export interface Lease {
  id: string;
  queue: string;
  domain: string;
  request: QueuedRequest;
  /**
   * Earlier leases of this same request that ended with no outcome: the crawler holding it died (its
   * lease expired) or met an unexpected error. Counted in Redis, so crash-and-requeue cycles are bounded.
   */
  attempts?: number;
  /** Its field in the attempts hash when `attempts` > 0, cleared by the acknowledgement. */
  attemptsField?: string;
}

export type EnqueueStatus =
  'queued' | 'blacklisted' | 'expired' | 'duplicate' | 'domain-limit' | 'global-limit';
