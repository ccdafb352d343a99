/**
 * Politeness that reacts to the site, measured at the site with two crawler processes on the real servers:
 * a 429 with `Retry-After: 5` holds the domain for both (no request from either for 5 s), and a robots.txt
 * `Crawl-delay: 2` is never beaten (consecutive page requests at least 2 s apart, first requests included).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, waitFor } from '../support/capture-logger.js';
import {
  crawlerOutput,
  crawlerSettings,
  spawnCrawler,
  spiderFile,
  stopCrawlerProcess,
  watchCrawled,
} from '../support/crawl-cluster.js';
import { startFeedMonitor } from '../support/feed-monitor.js';

interface Hit {
  host: string;
  path: string;
  at: number;
}

let server: Server;
let port = 0;
const hits: Hit[] = [];
let tooManyAnswered = false;
let feeder: Awaited<ReturnType<typeof startFeedMonitor>>;
const PAGES = ['/a', '/b', '/c', '/d'];

function page(links: string[]): string {
  return `<html><body>${links.map((l) => `<a href="${l}">${l}</a>`).join(' ')}</body></html>`;
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const host = (req.headers.host ?? '').split(':')[0]!;
    const path = req.url ?? '/';
    hits.push({ host, path, at: performance.timeOrigin + performance.now() });
    if (path === '/robots.txt') {
      if (host === 'slow.test')
        res.writeHead(200, { 'content-type': 'text/plain' }).end('User-agent: *\nCrawl-delay: 2\n');
      else res.writeHead(404).end();
      return;
    }
    if (host === 'busy.test' && path === '/' && !tooManyAnswered) {
      tooManyAnswered = true;
      res.writeHead(429, { 'retry-after': '5', 'content-type': 'text/plain' }).end('slow down');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' }).end(page(path === '/' ? PAGES : []));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  feeder = await startFeedMonitor('polite-test');
});

afterAll(async () => {
  await feeder?.close();
  await new Promise((resolve) => server?.close(resolve));
});

const site = {
  fetcherSettings: () => ({ DNS_OVERRIDES: { '*.test': '127.0.0.1' }, ALLOWED_ADDRESSES: ['127.0.0.1/32'] }),
};

/** Two crawler processes of one new spider, on their own topics; the crawl of `host`, until done. */
async function crawlWithTwo(host: string) {
  const name = `pol${randomUUID().slice(0, 6)}`;
  const prefix = `pol${randomUUID().slice(0, 6)}`;
  const settings = crawlerSettings(site, prefix, { QUEUE_HITS: 100, QUEUE_WINDOW: 1, SC_LOG_LEVEL: 'INFO' });
  const file = spiderFile(name);
  const crawlers = [spawnCrawler(file, settings), spawnCrawler(file, settings)];
  const crawled = await watchCrawled(prefix);
  try {
    await sleep(1500);
    const crawlid = await feeder.feed({ url: `http://${host}:${port}/`, spiderid: name, maxdepth: 1 });
    await waitFor(() => new Set(crawled.urls(crawlid)).size >= 5, 60_000, `the 5 pages of ${host}`);
    await sleep(500);
    return { urls: crawled.urls(crawlid), output: crawlers.map(crawlerOutput).join('\n') };
  } finally {
    await Promise.all(crawlers.map((c) => stopCrawlerProcess(c)));
    await crawled.close();
  }
}

describe('polite back-off across two crawler processes', () => {
  it('holds a domain for every crawler after a 429 with Retry-After: 5', async () => {
    const { urls, output } = await crawlWithTwo('busy.test');
    expect(new Set(urls).size).toBe(5);
    const pages = hits.filter((h) => h.host === 'busy.test' && h.path !== '/robots.txt');
    const first = pages[0]!;
    const next = pages[1]!;
    const quiet = (next.at - first.at) / 1000;
    console.log(
      `Retry-After 5: the next request came ${quiet.toFixed(3)} s after the 429; ${pages.length} page requests`,
    );
    expect(first.path).toBe('/');
    expect(quiet).toBeGreaterThanOrEqual(5);
    expect(output).toMatch(/Holding busy\.test for 5 s: the site answered 429 with Retry-After/);
  });

  it('never beats a robots.txt Crawl-delay: 2, first requests included', async () => {
    const { urls, output } = await crawlWithTwo('slow.test');
    expect(new Set(urls).size).toBe(5);
    const times = hits.filter((h) => h.host === 'slow.test' && h.path !== '/robots.txt').map((h) => h.at);
    const gaps = times.slice(1).map((t, i) => (t - times[i]!) / 1000);
    console.log(
      `Crawl-delay 2: ${times.length} page requests, gaps ${gaps.map((g) => g.toFixed(3)).join(', ')} s`,
    );
    expect(times.length).toBeGreaterThanOrEqual(5);
    // Site timestamps: the slots are 2.05 s apart at the crawlers, so 2 s holds at the site.
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(2);
    expect(output).toMatch(/Crawl-delay of robots\.txt applies/);
  });
});
