import { liveCrawlerCount } from '../../core/live-crawlers.js';
import { CrawlQueues, type CrawlTally, type PriorityTally } from '../crawl/queues.js';
import { KafkaBaseMonitor, logDict, type RedisMonitorContext } from '../plugin.js';
import { redisKeys } from '../../core/wire/keys.js';

/** Per-crawl accounting written by the crawlers: `crawlstats:<spiderid>:<appid>:<crawlid>`. */
export interface CrawlStats {
  published: number;
  failed: number;
  in_flight: number;
}

function crawlStatsOf(hash: Record<string, string>): CrawlStats | undefined {
  if (Object.keys(hash).length === 0) return undefined;
  const int = (field: string): number => {
    const n = Number.parseInt(hash[field] ?? '0', 10);
    return Number.isFinite(n) ? n : 0;
  };
  return { published: int('published'), failed: int('failed'), in_flight: int('in_flight') };
}

/** The original's per-domain entry; its initial -9999 / 9999 stand when no request had a priority. */
function domainEntry(t: PriorityTally): Record<string, number> {
  return { total: t.total, high_priority: t.high ?? -9999, low_priority: t.low ?? 9999 };
}

/** `domains` of a reply, in domain order. */
function domainEntries(domains: Map<string, PriorityTally> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const domain of [...(domains?.keys() ?? [])].sort()) out[domain] = domainEntry(domains!.get(domain)!);
  return out;
}

/**
 * Info requests, `info:<spiderid>:<appid>[:<crawlid>]` = uuid (facts 8.5): what is still queued for an
 * appid (per crawl and domain) or for one crawl, and, when the crawlers keep per-crawl accounting, how
 * many pages were published, failed and are in flight, so a client can tell a finished crawl.
 */
export class InfoMonitor extends KafkaBaseMonitor {
  readonly name: string = 'InfoMonitor';
  readonly pattern: string = 'info:*:*';
  protected queues!: CrawlQueues;

  override setup(context: RedisMonitorContext): void {
    super.setup(context);
    this.queues = new CrawlQueues(context.store);
  }

  async handle(key: string, value: string): Promise<void> {
    const elements = key.split(':');
    const spiderid = elements[1] ?? '';
    const appid = elements[2] ?? '';
    const crawlid = elements.length === 4 ? elements[3] : undefined;
    const extras = logDict('info', appid, {
      spiderid,
      uuid: value,
      ...(crawlid === undefined ? {} : { crawlid }),
    });
    this.logger.info('Received info request', extras);

    const master: Record<string, unknown> = { uuid: value, total_pending: 0, server_time: this.serverTime() };
    if (crawlid === undefined) await this.buildAppidInfo(master, spiderid, appid);
    else await this.buildCrawlidInfo(master, spiderid, appid, crawlid);
    // An addition to the original's reply: 0 means nothing will crawl what is pending.
    master.live_crawlers = await liveCrawlerCount(this.store, spiderid).catch(() => null);
    await this.addPoliteness(master, spiderid);

    await this.deliver(master);
    this.logger.info('Sent info to kafka', { ...extras, success: true });
  }

  /**
   * Additions to the original's reply, only when there is something to say: the domains held after a
   * 429/503 with Retry-After (`held_domains`: domain -> seconds left) and the robots.txt Crawl-delays in
   * force (`crawl_delays`: domain -> seconds).
   */
  private async addPoliteness(master: Record<string, unknown>, spiderid: string): Promise<void> {
    const [holds, delays] = await Promise.all([
      this.store.hgetall(redisKeys.holds(spiderid)).catch(() => ({})),
      this.store.hgetall(redisKeys.crawlDelays(spiderid)).catch(() => ({})),
    ]);
    const now = Date.now() / 1000;
    const held = Object.fromEntries(
      Object.entries(holds)
        .filter(([, until]) => Number(until) > now)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([domain, until]) => [domain, Math.ceil(Number(until) - now)]),
    );
    if (Object.keys(held).length > 0) master.held_domains = held;
    if (Object.keys(delays).length > 0)
      master.crawl_delays = Object.fromEntries(
        Object.entries(delays)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([domain, seconds]) => [domain, Number(seconds)]),
      );
  }

  private async crawlStats(
    spiderid: string,
    appid: string,
    crawlids: string[],
  ): Promise<(CrawlStats | undefined)[]> {
    return Promise.all(
      crawlids.map(async (cid) =>
        crawlStatsOf(await this.store.hgetall(redisKeys.crawlStats(spiderid, appid, cid)).catch(() => ({}))),
      ),
    );
  }

  private async buildCrawlidInfo(
    master: Record<string, unknown>,
    spiderid: string,
    appid: string,
    crawlid: string,
  ): Promise<void> {
    const [tallies, expires, [stats]] = await Promise.all([
      this.queues.tally(spiderid, appid, crawlid),
      this.store.get(redisKeys.crawlTimeout(spiderid, appid, crawlid)),
      this.crawlStats(spiderid, appid, [crawlid]),
    ]);
    const tally: CrawlTally | undefined = tallies.get(crawlid);
    const domains = domainEntries(tally?.domains);
    Object.assign(master, {
      spiderid,
      appid,
      crawlid,
      total_pending: tally?.total ?? 0,
      total_domains: Object.keys(domains).length,
      domains,
    });
    // The timeout key's value as Redis returns it: a string, as in the original.
    if (expires !== null) master.expires = expires;
    if (stats) {
      master.crawl_stats = stats;
      master.finished = master.total_pending === 0 && stats.in_flight === 0;
    }
  }

  private async buildAppidInfo(
    master: Record<string, unknown>,
    spiderid: string,
    appid: string,
  ): Promise<void> {
    const tallies = await this.queues.tally(spiderid, appid);
    const ids = [...tallies.keys()].sort();
    const stats = await this.crawlStats(spiderid, appid, ids);
    const crawlids: Record<string, unknown> = {};
    const allDomains = new Set<string>();
    let pending = 0;
    ids.forEach((cid, i) => {
      const tally = tallies.get(cid)!;
      const domains = domainEntries(tally.domains);
      for (const domain of tally.domains.keys()) allDomains.add(domain);
      const entry: Record<string, unknown> = {
        total: tally.total,
        domains,
        distinct_domains: tally.domains.size,
      };
      // From the crawl's requests (a number), as in the original.
      if (tally.expires !== undefined) entry.expires = tally.expires;
      const s = stats[i];
      if (s) {
        entry.crawl_stats = s;
        entry.finished = tally.total === 0 && s.in_flight === 0;
      }
      crawlids[cid] = entry;
      pending += tally.total;
    });
    Object.assign(master, {
      spiderid,
      appid,
      total_pending: pending,
      total_crawlids: ids.length,
      total_domains: allDomains.size,
      crawlids,
    });
  }
}
