import { randomBytes } from 'node:crypto';
import type { Reply, Store } from '../../core/store/index.js';
import { redisKeys as K } from '../../core/wire/keys.js';
import { decodeMember, type QueuedRequest } from '../../core/wire/request-codec.js';
import type { LeaseBook } from './lease-book.js';
import type { KnownQueue, QueueDirectory } from './queue-directory.js';
import { decodeLeaseAttempt, leaseAttemptWire, leasePop, type LeaseAttemptReply } from './scripts.js';
import type { FrontierOptions, Lease } from './types.js';

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/**
 * Lease planning: picks ready queues (hot queues of idle domains first, then the rest in random order,
 * round by round within each domain's room) and leases from all of them in one call of lease-pop.lua,
 * each under its domain's cluster-wide throttle and hold; then learns from the replies when
 * each queue is worth asking again.
 */
export class LeasePlanner {
  /** Lease and throttle-hit ids: a random prefix per frontier and a counter (no random bytes per lease). */
  private readonly idPrefix = hex(8);
  private idCounter = 0;

  constructor(
    private readonly store: Store,
    private readonly directory: QueueDirectory,
    private readonly book: LeaseBook,
    private readonly options: FrontierOptions,
  ) {}

  /**
   * Runs the attempts (four keys and eight arguments each) in lease-pop.lua calls of at most
   * ATTEMPTS_PER_CALL attempts, all in one round trip: one call per crawl-loop turn unless the turn wants
   * more. Returns one reply per attempt; a call that failed gives its Error for each of its attempts, and
   * when every call failed (the store is down) the error is thrown for the caller to back off on.
   */
  private async run(keys: string[], args: (string | number)[]): Promise<(Reply | Error)[]> {
    const shared = [
      K.leased(this.options.spiderid),
      K.leases(this.options.spiderid),
      K.blacklist(this.options.spiderid),
      K.attempts(this.options.spiderid),
    ];
    const pipe = this.store.pipeline();
    const sizes: number[] = [];
    for (let at = 0; at * 4 < keys.length; at += ATTEMPTS_PER_CALL) {
      const end = Math.min(keys.length / 4, at + ATTEMPTS_PER_CALL);
      sizes.push(end - at);
      pipe.run(
        leasePop,
        [...shared, ...keys.slice(at * 4, end * 4)],
        [this.options.owner, this.options.leaseSeconds, ...args.slice(at * 8, end * 8)],
      );
    }
    const calls = await pipe.exec();
    if (calls.every((r) => r instanceof Error)) throw calls[0] as Error;
    const replies: (Reply | Error)[] = [];
    calls.forEach((reply, c) => {
      if (reply instanceof Error) for (let i = 0; i < sizes[c]!; i++) replies.push(reply);
      else replies.push(...(reply as Reply[]));
    });
    return replies;
  }

  private nextId(): string {
    return `${this.idPrefix}${(this.idCounter++).toString(36)}`;
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
    const active = this.directory.active;
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
    // Each attempt's four keys and eight arguments; they go after the shared ones of lease-pop.lua.
    const keys: string[] = [];
    const args: (string | number)[] = [];
    const quota = new Map<string, number>();
    const attempt = (q: KnownQueue, round: number): boolean => {
      const throttle = this.options.policy.throttleFor(q.domain);
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
      const wire = leaseAttemptWire({
        queue: q.key,
        throttle,
        ready: q.leases >= throttle.limit,
        id,
      });
      keys.push(...wire.keys);
      args.push(...wire.args);
      return true;
    };
    // Hot queues of idle domains first: that attempt is their first round. Then the ready queues in random
    // order, round by round, one more request per domain each round while it has room. In the first round
    // a hot queue is left out (its domain is busy, or it was just asked): its next request waits for the
    // hot pass, unless fewer ready queues than requests wanted bring the later rounds to it.
    if (idle) {
      for (const q of this.directory.hot) {
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
        if (round === 0 && idle && this.directory.hot.has(q)) {
          skipped = true;
          continue;
        }
        if (attempt(q, round)) added = true;
      }
      if (!added && !skipped) break;
    }
    if (attempts.length === 0) return [];
    const replies = await this.run(keys, args);
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
      let answer: LeaseAttemptReply;
      try {
        answer = decodeLeaseAttempt(reply);
      } catch (err) {
        this.options.logger.warning('Lease attempt failed', { queue: q.key, error: String(err) });
        return;
      }
      const { status, dropped } = answer;
      droppedTotal += dropped;
      if (status !== 'ok' && status !== 'empty') throttled++;
      if (dropped > 0)
        this.options.logger.debug('Dropped requests of stopped or expired crawls', { queue: q.key, dropped });
      if (answer.status === 'ok') {
        q.leases++;
        q.emptyStreak = 0;
        q.lastActive = Date.now();
        let request: QueuedRequest;
        try {
          request = decodeMember(answer.member);
        } catch (err) {
          this.options.logger.error('Dropped an unreadable queue member', {
            queue: q.key,
            member: answer.member,
            error: String(err),
          });
          void this.book.ack({ id, queue: q.key, domain: q.domain, request: emptyRequest() }, null);
          return;
        }
        const lease: Lease = { id, queue: q.key, domain: q.domain, request };
        if (answer.earlierAttempts > 0) {
          lease.attempts = answer.earlierAttempts;
          lease.attemptsField = answer.attemptsField;
        }
        this.book.held.set(id, lease);
        leases.push(lease);
        if (!answer.more) {
          // That was the last one: wait as after an empty answer, without asking for the empty answer.
          q.emptyStreak = 1;
          q.nextTry = Date.now() + Math.min(250, this.options.queueRefresh * 1000);
          this.directory.hot.delete(q);
        } else {
          this.directory.markHot(q);
        }
      } else if (!settled.has(q)) {
        settled.add(q);
        this.directory.hot.delete(q);
        if (answer.status === 'empty' && dropped >= 100) {
          q.nextTry = Date.now(); // stopped-crawl requests were cleared off the head; more may follow
        } else if (answer.status === 'empty') {
          q.emptyStreak++;
          const backoff = Math.min(250 * 2 ** (q.emptyStreak - 1), this.options.queueRefresh * 1000);
          q.nextTry = Date.now() + backoff;
        } else {
          const wait = answer.waitSeconds;
          q.nextTry = wait < 0 ? Date.now() + this.options.queueRefresh * 1000 : Date.now() + wait * 1000;
        }
      }
    });
    if (throttled > 0) this.options.observer?.throttled?.(throttled);
    if (droppedTotal > 0) this.options.observer?.dropped?.(droppedTotal);
    return leases;
  }
}

/** Lease attempts per lease-pop.lua call at most, so one call holds Redis briefly. */
const ATTEMPTS_PER_CALL = 64;

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
