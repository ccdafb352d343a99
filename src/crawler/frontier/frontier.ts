import { randomBytes } from 'node:crypto';
import { registeredDomain, type DomainKeyStyle } from '../../core/domain.js';
import { backoffDelay, pause } from '../../core/backoff.js';
import type { Logger } from '../../core/logging/index.js';
import { isStoreUnavailable, type Store } from '../../core/store/index.js';
import { domainOfQueue, redisKeys as K } from '../../core/wire/keys.js';
import { RecentMap } from './recent-map.js';
import { decodeMember, encodeRequest, type QueuedRequest } from '../../core/wire/request-codec.js';
import { crawlDelaySlot, domainHold, enqueue, leaseAckMany, leasePop, leaseReturn } from './scripts.js';

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

export interface FrontierOptions {
  spiderid: string;
  /** This crawler's id, recorded in its leases. */
  owner: string;
  leaseSeconds: number;
  /** The domain's throttle, or null when the domain must not be crawled now (ZooKeeper blacklist). */
  throttleFor: (domain: string) => DomainThrottle | null;
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
  /**
   * Domains whose follow-up requests are dropped instead of queued (ZooKeeper blacklist with
   * SCHEDULER_BACKLOG_BLACKLIST = False); by default blacklisted domains keep their backlog.
   */
  refuseDomain?: (domain: string) => boolean;
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

interface KnownQueue {
  key: string;
  domain: string;
  /** Local time (ms) before which asking is pointless (throttled, moderated or empty). */
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

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** At most this many hot queues are remembered (see Frontier.hot). */
const HOT_QUEUES = 256;

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
 * The crawler's view of the shared frontier: discovers domain queues with SCAN, leases requests under the
 * cluster-wide throttle (one round trip for a whole batch of candidate queues), acknowledges or returns
 * leases, reaps the expired leases of dead crawlers and enqueues follow-up requests.
 *
 * It remembers, per queue, when asking again could succeed (the throttle's retry hint, or a backoff for
 * empty queues), so with thousands of domain queues only the ready ones cost a Redis call.
 */
export class Frontier {
  private readonly queues = new Map<string, KnownQueue>();
  /**
   * The known queues that are not parked, in no particular order: what lease() samples from. Queues Redis
   * had no key for at the last SCAN (finished domains) are parked until they show up again or this crawler
   * enqueues into them, so thousands of finished domains cost neither Redis calls nor a walk per lease.
   */
  private readonly active: KnownQueue[] = [];
  /**
   * Queues whose last lease left more behind, oldest first (at most HOT_QUEUES). When the caller says a
   * domain has nothing downloading, its hot queue is asked first, so a site's pages follow one another on
   * its open keep-alive connection instead of each waiting for a random turn and opening a new one.
   */
  private readonly hot = new Set<KnownQueue>();
  private lastRefresh = 0;
  private readonly held = new Map<string, Lease>();
  /**
   * Fingerprint → crawl id of requests Redis recently said are in that crawl's duplicate filter (the last
   * crawl to ask wins). Most links of a page lead to pages already seen; for those the enqueue script can
   * only answer "duplicate", so it is not sent. An entry lives at most half of DUPEFILTER_TIMEOUT: the
   * filter key's expiry was renewed when the entry was made, and nothing else removes fingerprints, so the
   * filter still holds them while the entry lives.
   */
  private readonly knownSeen: RecentMap<string>;
  /**
   * Filtered enqueues sent and not answered yet, by `<crawlid>\n<fingerprint>`. Pages of one site parsed at
   * the same time link to the same pages; a link already on its way to the duplicate filter is not sent
   * again: its answer decides (the filter holds it after any answer but blacklisted or expired, which
   * would be this request's answer too).
   */
  private readonly inFlightSeen = new Map<string, Promise<EnqueueStatus>>();
  /** Lease and throttle-hit ids: a random prefix per frontier and a counter (no random bytes per lease). */
  private readonly idPrefix = hex(8);
  private idCounter = 0;
  /** Acknowledgements waiting for the end of this turn of the event loop, to be sent in one call. */
  private pendingAcks: PendingAck[] = [];

  constructor(
    private readonly store: Store,
    private readonly options: FrontierOptions,
  ) {
    this.knownSeen = new RecentMap(options.dupefilterTimeout * 500, 100_000);
  }

  get spiderid(): string {
    return this.options.spiderid;
  }

  /** Leases this crawler holds now. */
  get heldLeases(): Lease[] {
    return [...this.held.values()];
  }

  get knownQueues(): number {
    return this.queues.size;
  }

  /** How many leases this crawler holds now (no copy, for metrics). */
  get heldCount(): number {
    return this.held.size;
  }

  /** The keys of the queues this crawler knows (for the backlog in the progress line). */
  knownQueueKeys(): string[] {
    return [...this.queues.keys()];
  }

  /** SCANs for this spider's queues when the refresh interval passed (or when forced). */
  async refreshQueues(force = false): Promise<void> {
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

  private nextId(): string {
    return `${this.idPrefix}${(this.idCounter++).toString(36)}`;
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

  /** Makes a queue known right away (this crawler just enqueued into it). */
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

  /** Milliseconds until some known queue may yield, for sleeping when nothing is ready. */
  msUntilReady(): number {
    let next = Infinity;
    for (const q of this.active) next = Math.min(next, q.nextTry);
    const refreshAt = this.lastRefresh + this.options.queueRefresh * 1000;
    return Math.max(0, Math.min(next, refreshAt) - Date.now());
  }

  /**
   * Leases up to `max` requests from the queues that are ready, at most `perDomain(domain)` from one
   * domain, in one round trip. With `idle` (whether nothing of a domain is downloading now), hot queues of
   * idle domains are asked first.
   */
  async lease(
    max: number,
    perDomain: (domain: string) => number,
    idle?: (domain: string) => boolean,
  ): Promise<Lease[]> {
    if (max <= 0) return [];
    const now = Date.now();
    // The ready queues in random order, as the original shuffled, so crawlers do not all start with the
    // same domain. The shuffle is done only as far as it is walked (lazy Fisher-Yates over the active
    // queues, which it reorders): with thousands of ready domains, a batch of leases needs only a few.
    const active = this.active;
    const ready: KnownQueue[] = [];
    let walked = 0;
    const nextReady = (): KnownQueue | undefined => {
      while (walked < active.length) {
        const j = walked + Math.floor(Math.random() * (active.length - walked));
        const q = active[j]!;
        const here = active[walked]!;
        active[walked] = q;
        q.slot = walked;
        active[j] = here;
        here.slot = j;
        walked++;
        if (q.nextTry <= now) {
          ready.push(q);
          return q;
        }
      }
      return undefined;
    };
    const attempts: { q: KnownQueue; id: string }[] = [];
    const pipe = this.store.pipeline();
    const quota = new Map<string, number>();
    const attempt = (q: KnownQueue, round: number): boolean => {
      const throttle = this.options.throttleFor(q.domain);
      if (!throttle) {
        // Not to be crawled now (blacklisted in the domain config): look again in a while, rather than
        // on every turn of the crawl loop, which would then spin every few milliseconds.
        q.nextTry = now + Math.min(1000, this.options.queueRefresh * 1000);
        return false;
      }
      const room = quota.get(q.key) ?? perDomain(q.domain);
      if (room <= round) return false;
      quota.set(q.key, room);
      const id = this.nextId();
      attempts.push({ q, id });
      pipe.run(
        leasePop,
        [
          K.throttleWindow(throttle.name),
          K.throttleTime(throttle.name),
          q.key,
          K.leased(this.options.spiderid),
          K.leases(this.options.spiderid),
          K.blacklist(this.options.spiderid),
          K.attempts(this.options.spiderid),
          K.throttleHold(throttle.name),
        ],
        [
          throttle.window,
          throttle.limit,
          throttle.moderate ? 1 : 0,
          throttle.elastic ? 1 : 0,
          0,
          q.leases >= throttle.limit ? 1 : 0,
          id,
          id,
          this.options.owner,
          this.options.leaseSeconds,
        ],
      );
      return true;
    };
    // Hot queues of idle domains first: that attempt is their first round. Then the ready queues in random
    // order, round by round, one more request per domain each round while it has room. In the first round
    // a hot queue is left out (its domain is busy, or it was just asked): its next request waits for the
    // hot pass, unless fewer ready queues than requests wanted bring the later rounds to it.
    if (idle) {
      for (const q of this.hot) {
        if (attempts.length >= max) break;
        if (q.nextTry <= now && idle(q.domain)) attempt(q, 0);
      }
    }
    for (let round = 0; attempts.length < max; round++) {
      let added = false;
      let skipped = false;
      for (let i = 0; ; i++) {
        if (attempts.length >= max) break;
        const q = i < ready.length ? ready[i]! : round === 0 ? nextReady() : undefined;
        if (q === undefined) break;
        if (round === 0 && idle && this.hot.has(q)) {
          skipped = true;
          continue;
        }
        if (attempt(q, round)) added = true;
      }
      if (!added && !skipped) break;
    }
    if (attempts.length === 0) return [];
    const replies = await pipe.exec();
    // Every attempt failed alike (the store is down): one error for the caller to back off on, not a
    // warning per queue.
    if (replies.every((r) => r instanceof Error)) throw replies[0] as Error;
    const leases: Lease[] = [];
    const settled = new Set<KnownQueue>();
    let throttled = 0;
    let droppedTotal = 0;
    replies.forEach((reply, i) => {
      const { q, id } = attempts[i]!;
      if (reply instanceof Error) {
        this.options.logger.warning('Lease attempt failed', { queue: q.key, error: reply.message });
        return;
      }
      const [status, value, , dropped, , left, earlier, attemptsField] = reply as [
        string,
        string,
        string,
        number,
        string,
        number?,
        number?,
        string?,
      ];
      droppedTotal += Number(dropped) || 0;
      if (status !== 'ok' && status !== 'empty') throttled++;
      if (Number(dropped) > 0)
        this.options.logger.debug('Dropped requests of stopped or expired crawls', { queue: q.key, dropped });
      if (status === 'ok') {
        q.leases++;
        q.emptyStreak = 0;
        q.lastActive = Date.now();
        let request: QueuedRequest;
        try {
          request = decodeMember(value);
        } catch (err) {
          this.options.logger.error('Dropped an unreadable queue member', {
            queue: q.key,
            member: value,
            error: String(err),
          });
          void this.ack({ id, queue: q.key, domain: q.domain, request: emptyRequest() }, null);
          return;
        }
        const lease: Lease = { id, queue: q.key, domain: q.domain, request };
        if (Number(earlier) > 0) {
          lease.attempts = Number(earlier);
          lease.attemptsField = String(attemptsField);
        }
        this.held.set(id, lease);
        leases.push(lease);
        if (left === 0) {
          // That was the last one: wait as after an empty answer, without asking for the empty answer.
          q.emptyStreak = 1;
          q.nextTry = Date.now() + Math.min(250, this.options.queueRefresh * 1000);
          this.hot.delete(q);
        } else if (!this.hot.has(q)) {
          this.hot.add(q);
          if (this.hot.size > HOT_QUEUES) this.hot.delete(this.hot.values().next().value!);
        }
      } else if (!settled.has(q)) {
        settled.add(q);
        this.hot.delete(q);
        if (status === 'empty' && Number(dropped) >= 100) {
          q.nextTry = Date.now(); // stopped-crawl requests were cleared off the head; more may follow
        } else if (status === 'empty') {
          q.emptyStreak++;
          const backoff = Math.min(250 * 2 ** (q.emptyStreak - 1), this.options.queueRefresh * 1000);
          q.nextTry = Date.now() + backoff;
        } else {
          const wait = Number(value);
          q.nextTry = wait < 0 ? Date.now() + this.options.queueRefresh * 1000 : Date.now() + wait * 1000;
        }
      }
    });
    if (throttled > 0) this.options.observer?.throttled?.(throttled);
    if (droppedTotal > 0) this.options.observer?.dropped?.(droppedTotal);
    return leases;
  }

  /**
   * Holds a domain for every crawler for `seconds` (the site's Retry-After): its queue leases nothing
   * until then. A later hold already in place is kept. Resolves with the hold's end (epoch ms), or
   * undefined when the domain has no throttle (blacklisted).
   */
  async hold(domain: string, seconds: number): Promise<number | undefined> {
    const throttle = this.options.throttleFor(domain);
    if (!throttle) return undefined;
    const until = Number(
      await this.store.run(
        domainHold,
        [K.throttleHold(throttle.name), K.holds(this.options.spiderid)],
        [seconds, domain],
      ),
    );
    // This process need not ask the queue before the hold ends either.
    for (const q of this.active) if (q.domain === domain) q.nextTry = Math.max(q.nextTry, until * 1000);
    return until * 1000;
  }

  /** Notes a domain's Crawl-delay for `info` (`<spiderid>:crawl_delays`, kept an hour). */
  async noteCrawlDelay(domain: string, seconds: number): Promise<void> {
    const key = K.crawlDelays(this.options.spiderid);
    await this.store.pipeline().call('HSET', key, domain, seconds).call('EXPIRE', key, 3600).exec();
  }

  /**
   * Reserves this request's fetch slot under the domain's robots.txt Crawl-delay, shared by every crawler:
   * resolves with the milliseconds to wait before sending it.
   */
  async crawlDelaySlot(domain: string, delaySeconds: number): Promise<number> {
    const throttle = this.options.throttleFor(domain);
    if (!throttle) return 0;
    const wait = await this.store.run(crawlDelaySlot, [K.crawlDelayNext(throttle.name)], [delaySeconds]);
    return Math.max(0, Number(wait) * 1000);
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
      this.know(queue);
    });
    const returned = (await pipe.exec()).filter((r) => r === 1).length;
    if (returned > 0) this.options.logger.info('Returned expired leases to their queues', { returned });
    return returned;
  }

  /**
   * Queues follow-up requests (one round trip for the batch) after the original's checks: crawl
   * blacklist, expiry, duplicate filter (skipped for `dontFilter`, e.g. retries), page limits.
   */
  async enqueue(
    requests: { request: QueuedRequest; fingerprint: string; priority: number }[],
  ): Promise<EnqueueStatus[]> {
    if (requests.length === 0) return [];
    const calls: [string[], (string | number)[]][] = [];
    const statuses: EnqueueStatus[] = [];
    const sent: {
      at: number;
      queue: string;
      seen: [string, string] | undefined;
      settle?: { key: string; resolve: (s: EnqueueStatus) => void; reject: (e: unknown) => void };
    }[] = [];
    const waiting: { at: number; answer: Promise<EnqueueStatus> }[] = [];
    for (const { request, fingerprint, priority } of requests) {
      const meta = request.meta;
      const crawlid = String(meta.crawlid);
      const filtered = !request.dontFilter && fingerprint !== '';
      if (filtered && this.knownSeen.get(fingerprint) === crawlid) {
        statuses.push('duplicate');
        continue;
      }
      const flightKey = filtered ? `${crawlid}\n${fingerprint}` : '';
      const answer = filtered ? this.inFlightSeen.get(flightKey) : undefined;
      if (answer) {
        waiting.push({ at: statuses.length, answer });
        statuses.push('duplicate');
        continue;
      }
      const spiderid = typeof meta.spiderid === 'string' ? meta.spiderid : this.options.spiderid;
      const domain = registeredDomain(request.url, this.options.domainKeys);
      if (!domain) {
        statuses.push('expired');
        continue;
      }
      if (this.options.refuseDomain?.(domain)) {
        statuses.push('blacklisted');
        continue;
      }
      const queue = K.queue(spiderid, domain);
      let settle: (typeof sent)[number]['settle'];
      if (filtered) {
        const promise = new Promise<EnqueueStatus>((resolve, reject) => {
          settle = { key: flightKey, resolve, reject };
        });
        promise.catch(() => undefined); // the sender sees the error; waiters may be none
        this.inFlightSeen.set(flightKey, promise);
      }
      sent.push({ at: statuses.length, queue, seen: filtered ? [fingerprint, crawlid] : undefined, settle });
      statuses.push('queued');
      calls.push([
        [
          K.dupefilter(this.options.spiderid, crawlid),
          queue,
          K.blacklist(spiderid),
          K.domainPages(this.options.spiderid, domain, crawlid),
          K.globalPages(this.options.spiderid, domain, crawlid),
        ],
        [
          request.dontFilter ? '' : fingerprint,
          this.options.dupefilterTimeout,
          `${String(meta.appid)}||${crawlid}`,
          Number(meta.expires) || 0,
          Number(meta.domain_max_pages) || 0,
          this.options.domainMaxPageTimeout,
          this.options.globalPageLimit ?? 0,
          this.options.globalPageLimitTimeout,
          priority,
          encodeRequest(request),
          K.queueAnnounce(spiderid),
        ],
      ]);
    }
    if (sent.length > 0) {
      let replies: unknown[];
      try {
        replies = await this.execRetrying(() => {
          const pipe = this.store.pipeline();
          for (const [keys, args] of calls) pipe.run(enqueue, keys, args);
          return pipe;
        });
      } catch (err) {
        for (const { settle } of sent) this.settleFlight(settle, err);
        throw err;
      }
      let failed: Error | undefined;
      sent.forEach(({ at, queue, seen, settle }, i) => {
        const reply = replies[i];
        if (reply instanceof Error) {
          failed ??= reply;
          this.settleFlight(settle, reply);
          return;
        }
        const status = reply as EnqueueStatus;
        statuses[at] = status;
        if (status === 'queued' && queue.startsWith(`${this.options.spiderid}:`)) this.know(queue);
        // Every answer but these two means the fingerprint went into the filter.
        if (seen !== undefined && status !== 'blacklisted' && status !== 'expired')
          this.knownSeen.set(...seen);
        this.settleFlight(settle, undefined, status);
      });
      if (failed) throw failed;
    }
    for (const { at, answer } of waiting) {
      const first = await answer;
      statuses[at] = first === 'blacklisted' || first === 'expired' ? first : 'duplicate';
    }
    this.options.observer?.enqueued?.(requests, statuses);
    return statuses;
  }

  /**
   * Runs a pipeline; when every entry failed because the store is down (nothing was run: commands fail at
   * once while disconnected), runs it again with backoff for up to a lease's time, so the follow-ups of a
   * page fetched just before an outage are not lost with it.
   */
  private async execRetrying(build: () => ReturnType<Store['pipeline']>): Promise<unknown[]> {
    const until = Date.now() + this.options.leaseSeconds * 1000;
    for (let tries = 0; ; tries++) {
      const delay = backoffDelay(tries, { initialMs: 100, maxMs: 5000 });
      const last = Date.now() + delay > until;
      let replies: unknown[];
      try {
        replies = await build().exec();
      } catch (err) {
        // Loading a script's hash failed before anything was sent.
        if (last || !isStoreUnavailable(err)) throw err;
        await pause(delay);
        continue;
      }
      const failed = replies.length > 0 && replies.every((r) => r instanceof Error && isStoreUnavailable(r));
      if (!failed || last) return replies;
      await pause(delay);
    }
  }

  /** Resolves when the store answers (a PING), rejects while it is out of reach. */
  async probe(): Promise<void> {
    await this.store.call('PING');
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

  private settleFlight(
    settle: { key: string; resolve: (s: EnqueueStatus) => void; reject: (e: unknown) => void } | undefined,
    error: unknown,
    status?: EnqueueStatus,
  ): void {
    if (!settle) return;
    this.inFlightSeen.delete(settle.key);
    if (status !== undefined) settle.resolve(status);
    else settle.reject(error);
  }

  /** Records a seed request's fingerprint so a link back to the seed is not crawled twice. */
  async rememberSeed(crawlid: string, fingerprint: string): Promise<void> {
    const key = K.dupefilter(this.options.spiderid, crawlid);
    await this.store
      .pipeline()
      .call('SADD', key, fingerprint)
      .call('EXPIRE', key, this.options.dupefilterTimeout)
      .exec();
    this.knownSeen.set(fingerprint, crawlid);
  }
}

function emptyRequest(): QueuedRequest {
  return {
    url: '',
    method: 'GET',
    headers: {},
    body: '',
    cookies: null,
    meta: {},
    dontFilter: false,
    callback: null,
  };
}
