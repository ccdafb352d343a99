import { describe, expect, it } from 'vitest';
import { RequestFailure } from '../../src/core/errors.js';
import { MemoryStore } from '../../src/core/store/index.js';
import { CrawlEngine } from '../../src/crawler/engine/engine.js';
import type { FetchedPage, FetchInput, PageFetcher, PageParser } from '../../src/crawler/engine/ports.js';
import { Frontier } from '../../src/crawler/frontier/frontier.js';
import type { QueuedRequest } from '../../src/core/wire/request-codec.js';
import type { CrawlResult } from '../../src/crawler/pipeline/item.js';
import { captureLogger, sleep, waitFor } from '../support/capture-logger.js';

class FetchProblem extends RequestFailure {
  constructor(message: string, reason: string, retryable: boolean) {
    super('SC_FETCH_FAILED', reason, message, retryable);
  }
}

/** Serves pages from a table; `links` maps a URL to the URLs its page links to. */
class FakeFetcher implements PageFetcher {
  calls: string[] = [];
  active = new Map<string, number>();
  maxActive = new Map<string, number>();
  constructor(
    private readonly respond: (url: string, attempt: number) => { status: number; location?: string } | Error,
    private readonly delayMs = 5,
  ) {}
  async fetch(input: FetchInput): Promise<FetchedPage> {
    const host = new URL(input.url).host;
    this.active.set(host, (this.active.get(host) ?? 0) + 1);
    this.maxActive.set(host, Math.max(this.maxActive.get(host) ?? 0, this.active.get(host)!));
    const attempt = this.calls.filter((c) => c === input.url).length;
    this.calls.push(input.url);
    await sleep(this.delayMs);
    this.active.set(host, this.active.get(host)! - 1);
    const answer = this.respond(input.url, attempt);
    if (answer instanceof Error) throw answer;
    return {
      url: input.url,
      finalUrl: input.url,
      status: answer.status,
      statusText: 'OK',
      headers: answer.location ? { location: [answer.location] } : {},
      requestHeaders: {},
      body: Buffer.from(`page ${input.url}`),
      encoding: 'utf-8',
    };
  }
  async close(): Promise<void> {}
}

function parser(links: Record<string, string[]>): PageParser {
  return {
    async *parse(page: FetchedPage, request: QueuedRequest) {
      const depth = Number(request.meta.curdepth) || 0;
      if (depth < Number(request.meta.maxdepth)) {
        for (const url of links[page.url] ?? []) {
          yield {
            url,
            method: 'GET',
            headers: {},
            body: '',
            cookies: null,
            meta: { ...request.meta, curdepth: depth + 1, priority: Number(request.meta.priority) - 10 },
            dontFilter: false,
            callback: 'parse',
          } satisfies QueuedRequest;
        }
      }
      yield {
        appid: String(request.meta.appid),
        crawlid: String(request.meta.crawlid),
        url: request.url,
        response_url: page.finalUrl,
        status_code: page.status,
        status_msg: 'OK',
        response_headers: {},
        request_headers: {},
        body: page.body,
        links: [],
        attrs: null,
        encoding: page.encoding,
      } satisfies CrawlResult;
    },
    fingerprint: (r) => `${r.method} ${r.url}`,
    isItem: (o): o is CrawlResult => 'status_code' in o,
  };
}

async function setup(
  fetcher: FakeFetcher,
  links: Record<string, string[]>,
  over: { perDomain?: number; concurrentItems?: number; publishGate?: Promise<void> } = {},
) {
  const store = new MemoryStore();
  const { logger, lines } = captureLogger('sc-crawler');
  const frontier = new Frontier(store, {
    spiderid: 'link',
    owner: 'c1',
    leaseSeconds: 60,
    policy: { throttleFor: (domain) => ({ window: 60, limit: 1000, moderate: false, name: domain }) },
    queueRefresh: 0.05,
    queueTimeout: 3600,
    dupefilterTimeout: 600,
    domainMaxPageTimeout: 600,
    globalPageLimit: null,
    globalPageLimitTimeout: 600,
    crawlStatsTimeout: 600,
    logger,
  });
  const published: CrawlResult[] = [];
  const engine = new CrawlEngine({
    frontier,
    fetcher,
    parser: parser(links),
    publish: async (item) => {
      await over.publishGate;
      published.push(item);
    },
    logger,
    concurrentRequests: 8,
    concurrentPerDomain: over.perDomain ?? 8,
    ...(over.concurrentItems !== undefined ? { concurrentItems: over.concurrentItems } : {}),
    retryTimes: 2,
    retryHttpCodes: [500, 503],
    followRedirects: true,
    maxRedirects: 3,
  });
  const seed = async (url: string, maxdepth = 1, crawlid = 'c1') =>
    store.zadd(`link:${new URL(url).hostname.split('.').slice(-2).join('.')}:queue`, [
      {
        member: JSON.stringify({
          url,
          appid: 'app',
          crawlid,
          spiderid: 'link',
          priority: 50,
          maxdepth,
          expires: 0,
        }),
        score: -50,
      },
    ]);
  return { store, engine, published, seed, lines, frontier };
}

describe('CrawlEngine', () => {
  it('crawls a seed and its links once each, acknowledging every lease', async () => {
    const fetcher = new FakeFetcher(() => ({ status: 200 }));
    const links = {
      'http://a.site.com/': [
        'http://a.site.com/1',
        'http://a.site.com/2',
        'http://b.other.com/x',
        'http://a.site.com/',
      ],
      'http://a.site.com/1': ['http://a.site.com/2'],
    };
    const ctx = await setup(fetcher, links);
    await ctx.seed('http://a.site.com/', 1);
    ctx.engine.start();
    await waitFor(() => ctx.published.length === 4, 5000, 'four pages');
    await sleep(100);
    await ctx.engine.stop(1000);
    expect(ctx.published.map((p) => p.url).sort()).toEqual([
      'http://a.site.com/',
      'http://a.site.com/1',
      'http://a.site.com/2',
      'http://b.other.com/x',
    ]);
    expect(fetcher.calls.filter((c) => c === 'http://a.site.com/')).toHaveLength(1); // link back to the seed filtered
    expect(await ctx.store.hgetall('link:leased')).toEqual({});
    expect(await ctx.store.hgetall('crawlstats:link:app:c1')).toEqual({ published: '4' });
  });

  it('holds at most CONCURRENT_REQUESTS + CONCURRENT_ITEMS pages while publishing is stuck', async () => {
    const fetcher = new FakeFetcher(() => ({ status: 200 }), 1);
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const ctx = await setup(fetcher, {}, { concurrentItems: 3, publishGate: gate });
    for (let d = 0; d < 30; d++) await ctx.seed(`http://d${d}.site${d}.com/`, 0);
    ctx.engine.start();
    await waitFor(() => fetcher.calls.length >= 11, 5000, 'the downloads');
    await sleep(200);
    // 8 downloads' slots and 3 pages beyond them, all waiting to be published: nothing more is leased.
    expect(fetcher.calls).toHaveLength(11);
    open();
    await waitFor(() => ctx.published.length === 30, 5000, 'every page');
    await ctx.engine.stop(1000);
  });

  it('retries retryable statuses and errors with lower priority, then publishes one result', async () => {
    const fetcher = new FakeFetcher((url, attempt) => {
      if (url.endsWith('/flaky')) return attempt < 2 ? { status: 503 } : { status: 200 };
      if (url.endsWith('/down')) return new FetchProblem('connection refused', 'connect', true);
      if (url.endsWith('/robots')) return new FetchProblem('disallowed by robots.txt', 'robots', false);
      return { status: 200 };
    });
    const ctx = await setup(fetcher, {});
    await ctx.seed('http://one.flaky.com/flaky', 0);
    await ctx.seed('http://two.down.com/down', 0);
    await ctx.seed('http://three.robots.com/robots', 0);
    ctx.engine.start();
    await waitFor(() => ctx.published.length === 3, 5000, 'three results');
    await ctx.engine.stop(1000);
    const byUrl = Object.fromEntries(ctx.published.map((p) => [p.url, p]));
    expect(byUrl['http://one.flaky.com/flaky']!.status_code).toBe(200);
    expect(fetcher.calls.filter((c) => c.endsWith('/flaky'))).toHaveLength(3);
    expect(byUrl['http://two.down.com/down']).toMatchObject({
      status_code: 504,
      error: { reason: 'connect' },
    });
    expect(fetcher.calls.filter((c) => c.endsWith('/down'))).toHaveLength(3); // first try + RETRY_TIMES 2
    expect(byUrl['http://three.robots.com/robots']).toMatchObject({
      status_code: 403,
      error: { reason: 'robots' },
    });
    expect(fetcher.calls.filter((c) => c.endsWith('/robots'))).toHaveLength(1);
    expect(ctx.lines.filter((l) => l.message === 'Scraper Retry')).toHaveLength(4);
    expect(await ctx.store.hgetall('crawlstats:link:app:c1')).toEqual({ published: '1', failed: '2' });
  });

  it('follows redirects through the frontier, so a target already crawled is not fetched again', async () => {
    const fetcher = new FakeFetcher((url) => {
      if (url.endsWith('/moved')) return { status: 302, location: '/target' };
      if (url.endsWith('/loop')) return { status: 301, location: '/loop2' };
      if (url.endsWith('/loop2')) return { status: 301, location: '/loop3' };
      if (url.endsWith('/loop3')) return { status: 301, location: '/loop4' };
      if (url.endsWith('/loop4')) return { status: 301, location: '/loop5' };
      return { status: 200 };
    });
    const links = { 'http://r.com/': ['http://r.com/target', 'http://r.com/moved', 'http://r.com/loop'] };
    const ctx = await setup(fetcher, links);
    await ctx.seed('http://r.com/', 1);
    ctx.engine.start();
    await waitFor(() => ctx.published.length === 3, 5000, 'three results');
    await sleep(200);
    await ctx.engine.stop(1000);
    expect(ctx.published.map((p) => p.url).sort()).toEqual([
      'http://r.com/',
      'http://r.com/loop4',
      'http://r.com/target',
    ]);
    expect(fetcher.calls.filter((c) => c === 'http://r.com/target')).toHaveLength(1);
    expect(ctx.published.find((p) => p.url === 'http://r.com/loop4')).toMatchObject({
      error: { reason: 'too-many-redirects' },
    });
  });

  it('keeps at most CONCURRENT_REQUESTS_PER_DOMAIN requests in flight per domain', async () => {
    const fetcher = new FakeFetcher(() => ({ status: 200 }), 20);
    const links = { 'http://busy.com/': Array.from({ length: 12 }, (_, i) => `http://busy.com/${i}`) };
    const ctx = await setup(fetcher, links, { perDomain: 2 });
    await ctx.seed('http://busy.com/', 1);
    ctx.engine.start();
    await waitFor(() => ctx.published.length === 13, 10_000, 'thirteen pages');
    await ctx.engine.stop(1000);
    expect(fetcher.maxActive.get('busy.com')).toBe(2);
  });

  it('hands unfinished leases back when stopped', async () => {
    const fetcher = new FakeFetcher(() => ({ status: 200 }), 2000);
    const ctx = await setup(fetcher, {});
    await ctx.seed('http://slow.com/', 0);
    ctx.engine.start();
    await waitFor(async () => (await ctx.store.zcard('link:slow.com:queue')) === 0, 2000, 'the lease');
    expect(await ctx.engine.stop(50)).toBe(1);
    expect(await ctx.store.zcard('link:slow.com:queue')).toBe(1);
    expect(await ctx.store.hgetall('link:leased')).toEqual({});
  });
});
