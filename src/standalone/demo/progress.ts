import type { StandaloneCluster } from '../cluster.js';
import type { Display } from './display.js';
import { fmt } from './display.js';
import type { CrawledPages } from './pages.js';

/**
 * The live progress line of a crawl: pages so far (of the total expected), the rate over the last 3 s,
 * and the backlog of each site's queue, redrawn every 250 ms while one crawl is watched.
 */
export class ProgressLine {
  private timer: NodeJS.Timeout | undefined;
  /** The crawl followed ('' once it is over, so late ticks are dropped). */
  private watching = '';
  private startedAt = Date.now();
  /** The last line drawn, for printing it once the crawl is over. */
  text = '';

  constructor(
    private readonly display: Display,
    private readonly cluster: StandaloneCluster,
    private readonly spider: string,
    private readonly hosts: readonly string[],
    private readonly pages: CrawledPages,
  ) {}

  watch(label: string, crawlid: string, total?: number): void {
    clearInterval(this.timer);
    this.watching = crawlid;
    this.startedAt = Date.now();
    this.timer = setInterval(() => void this.draw(label, crawlid, total).catch(() => undefined), 250);
  }

  /** Stops redrawing and prints the crawl's final line. */
  async end(label: string, crawlid: string, total?: number): Promise<void> {
    this.stop();
    await this.draw(label, crawlid, total, true);
    this.display.line(this.text);
  }

  stop(): void {
    clearInterval(this.timer);
    this.watching = '';
  }

  private async draw(label: string, crawlid: string, total?: number, final = false): Promise<void> {
    const pending = await this.backlog();
    if (!final && this.watching !== crawlid) return;
    const done = this.pages.uniqueCount(crawlid);
    this.text = `   ${label}: ${done}${total ? `/${total}` : ''} pages · ${fmt(this.rate(crawlid))} pages/s · backlog ${pending}`;
    if (!final) this.display.progress(this.text);
  }

  private async backlog(): Promise<string> {
    const counts = await Promise.all(
      this.hosts.map(async (h) => [h, await this.cluster.store.zcard(`${this.spider}:${h}:queue`)] as const),
    );
    const busy = counts.filter(([, n]) => n > 0);
    return busy.length === 0 ? 'empty' : busy.map(([h, n]) => `${h.split('.')[0]} ${n}`).join(' ');
  }

  private rate(crawlid: string): number {
    const recent = this.pages.of(crawlid).filter((p) => p.at >= Date.now() - 3000);
    const span = Math.min(3000, Math.max(1, Date.now() - this.startedAt));
    return (recent.length * 1000) / span;
  }
}
