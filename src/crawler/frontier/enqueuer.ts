import { registeredDomain } from '../../core/domain.js';
import { backoffDelay, pause } from '../../core/backoff.js';
import { isStoreUnavailable, type Reply, type Store } from '../../core/store/index.js';
import { redisKeys as K } from '../../core/wire/keys.js';
import { encodeRequest, metaNumber, type QueuedRequest } from '../../core/wire/request-codec.js';
import type { QueueDirectory } from './queue-directory.js';
import { RecentMap } from './recent-map.js';
import { decodeEnqueueStatus, enqueue, leaseAckMany, leaseRequeue } from './scripts.js';
import type { EnqueueStatus, FrontierOptions, Lease } from './types.js';

/** Requests per enqueue.lua call at most (each is a handful of commands inside Redis). */
const ENQUEUE_CHUNK = 200;

/**
 * Enqueueing follow-up requests after the original's checks (crawl blacklist, expiry, duplicate filter,
 * page limits: enqueue.lua), one script call for the links of the pages parsed together, sparing Redis
 * the requests it can only answer "duplicate", and riding out a short store outage.
 */
export class Enqueuer {
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
  /** Requests waiting for the next enqueue.lua call, and whether one is on its way. */
  private outbox: { keys: string[]; args: (string | number)[]; resolve: (r: Reply | Error) => void }[] = [];
  private sending = false;

  constructor(
    private readonly store: Store,
    private readonly directory: QueueDirectory,
    private readonly options: FrontierOptions,
  ) {
    this.knownSeen = new RecentMap(options.dupefilterTimeout * 500, 100_000);
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
      if (this.options.policy.refusesDomain?.(domain)) {
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
      calls.push(this.scriptArgs(request, fingerprint, priority, queue, domain, spiderid));
    }
    if (sent.length > 0) {
      const replies = await Promise.all(calls.map(([keys, args]) => this.send(keys, args)));
      let failed: Error | undefined;
      sent.forEach(({ at, queue, seen, settle }, i) => {
        let status: EnqueueStatus;
        try {
          const reply = replies[i];
          if (reply instanceof Error) throw reply;
          status = decodeEnqueueStatus(reply as Reply);
        } catch (err) {
          failed ??= err as Error;
          this.settleFlight(settle, err);
          return;
        }
        statuses[at] = status;
        if (status === 'queued' && queue.startsWith(`${this.options.spiderid}:`)) this.directory.know(queue);
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
   * Queues one request's enqueue.lua keys and arguments for the next script call. While a call is on its
   * way, the requests of every page parsed meanwhile wait and go together in the next one, so the number
   * of script calls per page falls as the load rises, and nothing waits when the crawler is quiet.
   * Resolves with the request's status, or with the Error that its call failed with.
   */
  private send(keys: string[], args: (string | number)[]): Promise<Reply | Error> {
    return new Promise((resolve) => {
      this.outbox.push({ keys, args, resolve });
      if (this.sending) return;
      this.sending = true;
      // After the current synchronous run, so the requests of a page (and of pages handed over in the
      // same turn) go in one call.
      queueMicrotask(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    try {
      while (this.outbox.length > 0) {
        const units = this.outbox.splice(0, this.outbox.length);
        // A page with thousands of links is cut into calls of a bounded size, so no single script holds
        // Redis for long; they still go in one round trip.
        const chunks: (typeof units)[] = [];
        for (let i = 0; i < units.length; i += ENQUEUE_CHUNK) chunks.push(units.slice(i, i + ENQUEUE_CHUNK));
        let replies: unknown[];
        try {
          replies = await this.execRetrying(() => {
            const pipe = this.store.pipeline();
            for (const chunk of chunks)
              pipe.run(
                enqueue,
                chunk.flatMap((u) => u.keys),
                chunk.flatMap((u) => u.args),
              );
            return pipe;
          });
        } catch (err) {
          replies = chunks.map(() => (err instanceof Error ? err : new Error(String(err))));
        }
        chunks.forEach((chunk, c) => {
          const reply = replies[c];
          chunk.forEach((unit, i) =>
            unit.resolve(reply instanceof Error ? reply : ((reply as Reply[])[i] ?? null)),
          );
        });
      }
    } finally {
      this.sending = false;
    }
  }

  /** enqueue.lua's keys and arguments for one request bound for `queue`. */
  private scriptArgs(
    request: QueuedRequest,
    fingerprint: string,
    priority: number,
    queue: string,
    domain: string,
    spiderid: string,
  ): [string[], (string | number)[]] {
    const meta = request.meta;
    const crawlid = String(meta.crawlid);
    return [
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
        metaNumber(meta, 'expires'),
        metaNumber(meta, 'domain_max_pages'),
        this.options.domainMaxPageTimeout,
        this.options.globalPageLimit ?? 0,
        this.options.globalPageLimitTimeout,
        priority,
        encodeRequest(request),
        K.queueAnnounce(spiderid),
      ],
    ];
  }

  /**
   * Ends a lease and queues its follow-up (a retry, or a redirect's target) in one atomic step
   * (lease-requeue.lua): a crawler dying in between cannot leave both the lease, which would expire and
   * put the request back, and the follow-up queued. Resolves with the follow-up's status, or `gone` when
   * the lease had expired already (its request is back in its queue; nothing is added).
   */
  async requeue(
    lease: Lease,
    next: { request: QueuedRequest; fingerprint: string; priority: number },
  ): Promise<EnqueueStatus | 'gone'> {
    const { request, fingerprint, priority } = next;
    const spiderid =
      typeof request.meta.spiderid === 'string' ? request.meta.spiderid : this.options.spiderid;
    const domain = registeredDomain(request.url, this.options.domainKeys);
    const refused = !domain
      ? 'expired'
      : this.options.policy.refusesDomain?.(domain)
        ? 'blacklisted'
        : undefined;
    const leaseKeys = [
      K.leased(this.options.spiderid),
      K.leases(this.options.spiderid),
      K.attempts(this.options.spiderid),
    ];
    let status: EnqueueStatus | 'gone';
    if (refused !== undefined || !domain) {
      // Nothing to queue: the lease simply ends (the follow-up's status says why it was not queued).
      await this.store.run(leaseAckMany, leaseKeys, [0, lease.id, '', 4, lease.attemptsField ?? '']);
      status = refused ?? 'expired';
    } else {
      const queue = K.queue(spiderid, domain);
      const [keys, args] = this.scriptArgs(request, fingerprint, priority, queue, domain, spiderid);
      const [reply] = await this.execRetrying(() =>
        this.store
          .pipeline()
          .run(leaseRequeue, [...leaseKeys, ...keys], [lease.id, lease.attemptsField ?? '', ...args]),
      );
      if (reply instanceof Error) throw reply;
      status = decodeEnqueueStatus(reply as Reply, true);
      if (status === 'queued' && queue.startsWith(`${this.options.spiderid}:`)) this.directory.know(queue);
      if (
        fingerprint !== '' &&
        !request.dontFilter &&
        status !== 'blacklisted' &&
        status !== 'expired' &&
        status !== 'gone'
      )
        this.knownSeen.set(fingerprint, String(request.meta.crawlid));
    }
    if (status !== 'gone') this.options.observer?.enqueued?.([next], [status]);
    return status;
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
