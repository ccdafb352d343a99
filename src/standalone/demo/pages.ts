import { pause as sleep } from '../../core/backoff.js';

/** One crawl result as the demo keeps it. */
export interface Page {
  url: string;
  crawlid: string;
  status: number;
  domain: string;
  error?: { reason: string; message: string };
  /** When it arrived on the stream (epoch ms). */
  at: number;
}

/** The crawl results seen on `/stream/crawled`, by crawl. */
export class CrawledPages {
  readonly all: Page[] = [];

  /** Takes one event of the stream (a crawled message as JSON); anything else is ignored. */
  add(data: string): void {
    try {
      const item = JSON.parse(data) as Record<string, unknown>;
      const url = String(item.url);
      this.all.push({
        url,
        crawlid: String(item.crawlid),
        status: Number(item.status_code),
        domain: new URL(url).hostname,
        ...(item.error ? { error: item.error as Page['error'] } : {}),
        at: Date.now(),
      });
    } catch {
      // not a crawl result
    }
  }

  of(crawlid: string): Page[] {
    return this.all.filter((p) => p.crawlid === crawlid);
  }

  uniqueCount(crawlid: string): number {
    return new Set(this.of(crawlid).map((p) => p.url)).size;
  }

  /** Waits until `crawlid` has `count` distinct pages, or `deadline` (epoch ms) passed. */
  async waitFor(crawlid: string, count: number, deadline: number): Promise<void> {
    while (Date.now() < deadline && this.uniqueCount(crawlid) < count) await sleep(50);
  }
}

export { sleep };
