import type { ClusterStats } from './cluster-stats.js';

/**
 * The periodic "Crawler Stats Dump" (seed 3.4): one flat record, `<spider>_<code>_<window>` per counter,
 * `<spider>_spider_count` per spider, plus `total_spider_count` and `unique_spider_count`.
 */
export async function crawlerDump(stats: ClusterStats): Promise<Record<string, number>> {
  const { spiders } = await stats.crawlerKeys();
  const out: Record<string, number> = {};
  for (const [spider, value] of Object.entries(spiders)) {
    if (typeof value === 'number') {
      out[spider] = value;
      continue;
    }
    for (const [code, windows] of Object.entries(value as Record<string, unknown>)) {
      if (code === 'count') out[`${spider}_spider_count`] = Number(windows);
      else
        for (const [window, n] of Object.entries(windows as Record<string, number>))
          out[`${spider}_${code}_${window}`] = n;
    }
  }
  return out;
}

/** The periodic "Queue Stats Dump": backlog and domain count per spider, and the total backlog. */
export async function queueDump(stats: ClusterStats): Promise<Record<string, unknown>> {
  const { queues } = (await stats.queueStats()) as { queues: Record<string, unknown> };
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(queues)) {
    if (typeof value === 'number') out[name] = value;
    else {
      const { spider_backlog, num_domains } = value as { spider_backlog: number; num_domains: number };
      out[name] = { spider_backlog, num_domains };
    }
  }
  return out;
}
