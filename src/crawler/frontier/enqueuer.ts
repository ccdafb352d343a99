import { registeredDomain } from '../../core/domain.js';
import { backoffDelay, pause } from '../../core/backoff.js';
import { isStoreUnavailable, type Store } from '../../core/store/index.js';
import { redisKeys as K } from '../../core/wire/keys.js';
import { encodeRequest, metaNumber, type QueuedRequest } from '../../core/wire/request-codec.js';
import type { QueueDirectory } from './queue-directory.js';
import { RecentMap } from './recent-map.js';
import { enqueue } from './scripts.js';
import type { EnqueueStatus, FrontierOptions } from './types.js';

/**
 * Enqueueing follow-up requests after the original's checks (crawl blacklist, expiry, duplicate filter,
 * page limits: enqueue.lua), one round trip per batch, sparing Redis the requests it can only answer
 * "duplicate", and riding out a short store outage.
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
          metaNumber(meta, 'expires'),
          metaNumber(meta, 'domain_max_pages'),
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
