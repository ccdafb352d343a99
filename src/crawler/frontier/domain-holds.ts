import type { Store } from '../../core/store/index.js';
import { redisKeys as K } from '../../core/wire/keys.js';
import type { QueueDirectory } from './queue-directory.js';
import { crawlDelaySlot, domainHold } from './scripts.js';
import type { FrontierOptions } from './types.js';

/**
 * What sites ask of every crawler, kept in Redis next to each domain's throttle: Retry-After holds (which
 * lease-pop.lua honours) and robots.txt Crawl-delay slots, plus the notes `info` reports them from.
 */
export class DomainHolds {
  constructor(
    private readonly store: Store,
    private readonly directory: QueueDirectory,
    private readonly options: Pick<FrontierOptions, 'spiderid' | 'policy'>,
  ) {}

  /**
   * Holds a domain for every crawler for `seconds` (the site's Retry-After): its queue leases nothing
   * until then. A later hold already in place is kept. Resolves with the hold's end (epoch ms), or
   * undefined when the domain has no throttle (blacklisted).
   */
  async hold(domain: string, seconds: number): Promise<number | undefined> {
    const throttle = this.options.policy.throttleFor(domain);
    if (!throttle) return undefined;
    const until = Number(
      await this.store.run(
        domainHold,
        [K.throttleHold(throttle.name), K.holds(this.options.spiderid)],
        [seconds, domain],
      ),
    );
    // This process need not ask the queue before the hold ends either.
    for (const q of this.directory.active)
      if (q.domain === domain) q.nextTry = Math.max(q.nextTry, until * 1000);
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
    const throttle = this.options.policy.throttleFor(domain);
    if (!throttle) return 0;
    const wait = await this.store.run(crawlDelaySlot, [K.crawlDelayNext(throttle.name)], [delaySeconds]);
    return Math.max(0, Number(wait) * 1000);
  }
}
