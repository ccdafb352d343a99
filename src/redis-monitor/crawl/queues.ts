import type { Reply, Store } from '../../core/store/index.js';
import { crawlPurge, crawlTally, leasePurge } from '../scripts.js';
import { Sweeper, type SweepOptions, type SweepTask } from './sweep.js';

/** Count and priority range of queued requests (priorities from each request's JSON `priority`). */
export interface PriorityTally {
  total: number;
  /** Highest priority seen; undefined when no request carried a numeric priority. */
  high: number | undefined;
  low: number | undefined;
}

/** What is queued for one crawl, per domain. */
export interface CrawlTally extends PriorityTally {
  /** The latest (largest) non-zero `expires` of the crawl's queued requests. */
  expires: number | undefined;
  domains: Map<string, PriorityTally>;
}

export interface PurgeResult {
  /** Requests removed from the crawl queues. */
  queued: number;
  /** Leased (in-flight) requests removed from `<spiderid>:leased` / `<spiderid>:leases`. */
  leased: number;
}

/** Escapes Redis glob characters so an id is matched literally by SCAN MATCH. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/**
 * True when `id`, quoted, appears verbatim in any JSON encoding of it: printable ASCII without the
 * characters encoders escape (`"`, `\`, and `/` which ujson escapes). Then the scripts can skip members
 * that do not contain it without decoding them.
 */
export function isLiteralId(id: string): boolean {
  return /^[\x20-\x7e]*$/.test(id) && !/["\\/]/.test(id);
}

/** The domain of a crawl queue key `<spiderid>:<domain>:queue`, or undefined for other keys. */
export function queueDomain(key: string): string | undefined {
  const parts = key.split(':');
  return parts.length === 3 && parts[2] === 'queue' ? parts[1] : undefined;
}

function optionalNumber(reply: Reply | undefined): number | undefined {
  if (reply === '' || reply === null || reply === undefined) return undefined;
  const n = Number(reply);
  return Number.isFinite(n) ? n : undefined;
}

function mergePriorities(into: PriorityTally, high: number | undefined, low: number | undefined): void {
  if (high !== undefined && (into.high === undefined || high > into.high)) into.high = high;
  if (low !== undefined && (into.low === undefined || low < into.low)) into.low = low;
}

/**
 * The crawl queues of a spider as the info, stop and expire plugins see them: every
 * `<spiderid>:<domain>:queue` found with SCAN, read and purged server-side in bounded slices.
 */
export class CrawlQueues {
  private readonly sweeper: Sweeper;

  constructor(
    private readonly store: Store,
    options: SweepOptions = {},
  ) {
    this.sweeper = new Sweeper(store, options);
  }

  /** Every crawl queue key of the spider, found with SCAN. */
  async queueKeys(spiderid: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const batch of this.store.scan(`${escapeGlob(spiderid)}:*:queue`, 1000)) {
      for (const key of batch) if (queueDomain(key) !== undefined) keys.push(key);
    }
    return keys.sort();
  }

  /**
   * Tallies the queued requests of `appid` (all its crawls, or only `crawlid`) by crawl and domain.
   * Costs one round trip per `depth` slices, never one per request.
   */
  async tally(spiderid: string, appid: string, crawlid?: string): Promise<Map<string, CrawlTally>> {
    const crawls = new Map<string, CrawlTally>();
    const tasks: SweepTask<string>[] = (await this.queueKeys(spiderid)).map((key) => ({
      keys: [key],
      cursor: '0',
      tag: queueDomain(key)!,
    }));
    const literal = isLiteralId(appid) && (crawlid === undefined || isLiteralId(crawlid));
    await this.sweeper.run(crawlTally, tasks, [appid, crawlid ?? '', literal ? '1' : '0'], (task, reply) => {
      for (let i = 2; i + 4 < reply.length; i += 5) {
        const cid = String(reply[i]);
        const total = Number(reply[i + 1]);
        const high = optionalNumber(reply[i + 2]);
        const low = optionalNumber(reply[i + 3]);
        const expires = optionalNumber(reply[i + 4]);
        let crawl = crawls.get(cid);
        if (!crawl) {
          crawl = { total: 0, high: undefined, low: undefined, expires, domains: new Map() };
          crawls.set(cid, crawl);
        }
        if (expires !== undefined && (crawl.expires === undefined || expires > crawl.expires))
          crawl.expires = expires;
        crawl.total += total;
        mergePriorities(crawl, high, low);
        let domain = crawl.domains.get(task.tag);
        if (!domain) {
          domain = { total: 0, high: undefined, low: undefined };
          crawl.domains.set(task.tag, domain);
        }
        domain.total += total;
        mergePriorities(domain, high, low);
      }
    });
    return crawls;
  }

  /**
   * Removes every queued and leased request of one crawl. Leases are swept before and after the
   * queues, so a lease that expires back into a queue meanwhile is caught by one of the passes.
   */
  async purge(spiderid: string, appid: string, crawlid: string): Promise<PurgeResult> {
    const literal = isLiteralId(appid) && isLiteralId(crawlid) ? '1' : '0';
    const args = [appid, crawlid, literal];
    const result: PurgeResult = { queued: 0, leased: 0 };
    const leases = async (): Promise<void> => {
      const task = { keys: [`${spiderid}:leased`, `${spiderid}:leases`], cursor: '0', tag: '' };
      await this.sweeper.run(leasePurge, [task], args, (_, reply) => {
        result.leased += Number(reply[2] ?? 0);
      });
    };
    await leases();
    const tasks = (await this.queueKeys(spiderid)).map((key) => ({ keys: [key], cursor: '0', tag: '' }));
    await this.sweeper.run(crawlPurge, tasks, args, (_, reply) => {
      result.queued += Number(reply[2] ?? 0);
    });
    await leases();
    return result;
  }
}
