import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/core/store/index.js';
import { CrawlEngine } from '../../src/crawler/engine/engine.js';
import type { FetchedPage, FetchInput, PageFetcher, PageParser } from '../../src/crawler/engine/ports.js';
import { Frontier } from '../../src/crawler/frontier/frontier.js';
import type { QueuedRequest } from '../../src/core/wire/request-codec.js';
import { BadPatternError } from '../../src/core/user-regex.js';
import { FetchError } from '../../src/crawler/fetch/errors.js';
import type { CrawlResult } from '../../src/crawler/pipeline/item.js';
import { captureLogger, sleep, waitFor } from '../support/capture-logger.js';

/** Answers from a table; a fetch honours the abort signal, as the real fetcher does. */
class TableFetcher implements PageFetcher {
  calls: string[] = [];
  constructor(
    private readonly answer: (url: string) => { status: number; location?: string },
    private readonly delayMs = 5,
  ) {}
  async fetch(input: FetchInput, signal?: AbortSignal): Promise<FetchedPage> {
    this.calls.push(input.url);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, this.delayMs);
      signal?.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(new FetchError('aborted', input.url, 'aborted'));
      });
    });
    const { status, location } = this.answer(input.url);
    return {
      url: input.url,
      finalUrl: input.url,
      status,
      statusText: status === 200 ? 'OK' : 'Moved',
      headers: location ? { location: [location] } : {},
      requestHeaders: {},
      body: Buffer.from(`page ${input.url}`),
      encoding: 'utf-8',
    };
  }
  async close(): Promise<void> {}
  count(url: string): number {
    return this.calls.filter((c) => c === url).length;
  }
}

/** A parser that yields the page as its item, unless `fail` throws for it. */
function pageParser(fail: (url: string) => Error | undefined = () => undefined): PageParser {
  return {
    async *parse(page: FetchedPage, request: QueuedRequest) {
      const err = fail(page.url);
      if (err) throw err;
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
        encoding: 'utf-8',
      } satisfies CrawlResult;
    },
    fingerprint: (r) => `${r.method} ${r.url}`,
    isItem: (o): o is CrawlResult => 'status_code' in o,
  };
}

async function setup(
  fetcher: TableFetcher,
  parser: PageParser,
  over: { publish?: (item: CrawlResult) => Promise<'published' | 'too-large' | void> } = {},
) {
  const store = new MemoryStore();
  const { logger, lines } = captureLogger('sc-crawler');
  const frontierOptions: ConstructorParameters<typeof Frontier>[1] = {
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
  };
  const frontier = new Frontier(store, frontierOptions);
  const published: CrawlResult[] = [];
  const engine = new CrawlEngine({
    frontier,
    fetcher,
    parser,
    publish:
      over.publish ??
      (async (item) => {
        published.push(item);
      }),
    logger,
    concurrentRequests: 8,
    concurrentPerDomain: 8,
    retryTimes: 2,
    retryHttpCodes: [500, 503],
    followRedirects: true,
    maxRedirects: 10,
    maxAttempts: 3,
  });
  const member = (url: string) =>
    JSON.stringify({
      url,
      appid: 'app',
      crawlid: 'c1',
      spiderid: 'link',
      priority: 50,
      maxdepth: 0,
      expires: 0,
    });
  const seed = async (url: string) =>
    store.zadd(`link:${new URL(url).hostname}:queue`, [{ member: member(url), score: -50 }]);
  const stats = () => store.hgetall('crawlstats:link:app:c1');
  return { store, engine, frontier, frontierOptions, published, seed, member, lines, stats };
}

describe('one outcome per request', () => {
  it('gives a request that always meets an unexpected error up after LEASE_MAX_ATTEMPTS, with one record', async () => {
    const fetcher = new TableFetcher(() => ({ status: 200 }));
    const ctx = await setup(
      fetcher,
      pageParser(() => new Error('spider bug')),
    );
    await ctx.seed('http://buggy.com/');
    ctx.engine.start();
    await waitFor(() => ctx.published.length === 1, 5000, 'the failure record');
    await sleep(300);
    await ctx.engine.stop(1000);
    expect(fetcher.count('http://buggy.com/')).toBe(3);
    expect(ctx.published).toHaveLength(1);
    expect(ctx.published[0]).toMatchObject({
      url: 'http://buggy.com/',
      status_code: 500,
      error: { reason: 'internal-error' },
    });
    expect(ctx.published[0]!.error!.message).toMatch(/3 attempts.*spider bug/);
    expect(await ctx.stats()).toEqual({ failed: '1' });
    expect(await ctx.store.hgetall('link:attempts')).toEqual({});
    expect(await ctx.store.zcard('link:buggy.com:queue')).toBe(0);
  });

  it('does not fetch again a request whose earlier leases all ended with no outcome (crashed crawlers)', async () => {
    const fetcher = new TableFetcher(() => ({ status: 200 }));
    const ctx = await setup(fetcher, pageParser());
    await ctx.seed('http://crashy.com/');
    const field = createHash('sha1').update(ctx.member('http://crashy.com/')).digest('hex');
    await ctx.store.hset('link:attempts', { [field]: '3' });
    ctx.engine.start();
    await waitFor(() => ctx.published.length === 1, 5000, 'the failure record');
    await ctx.engine.stop(1000);
    expect(fetcher.calls).toEqual([]);
    expect(ctx.published[0]).toMatchObject({ error: { reason: 'internal-error' } });
    expect(await ctx.store.hgetall('link:attempts')).toEqual({});
  });

  it('counts an expired lease as an attempt, and a clean hand-back on stop as none', async () => {
    const fetcher = new TableFetcher(() => ({ status: 200 }), 60_000);
    const ctx = await setup(fetcher, pageParser());
    await ctx.seed('http://slow.com/');
    ctx.engine.start();
    await waitFor(() => fetcher.calls.length === 1, 5000, 'the fetch');
    expect(await ctx.engine.stop(50)).toBe(1);
    expect(ctx.published).toEqual([]);
    expect(await ctx.stats()).toEqual({});
    expect(await ctx.store.hgetall('link:attempts')).toEqual({});
    expect(await ctx.store.zcard('link:slow.com:queue')).toBe(1);
    // A dead crawler's lease: taken, never acknowledged, expired and reaped.
    const dead = new Frontier(ctx.store, {
      ...ctx.frontierOptions,
      owner: 'dead',
      leaseSeconds: 1,
    });
    await dead.refreshQueues(true);
    expect(await dead.lease(1, () => 1)).toHaveLength(1);
    await sleep(1100);
    expect(await dead.reapExpired()).toBe(1);
    expect(Object.values(await ctx.store.hgetall('link:attempts'))).toEqual(['1']);
    await dead.refreshQueues(true);
    const [again] = await dead.lease(1, () => 1);
    expect(again?.attempts).toBe(1);
  });

  it('ends a crawl with an invalid allow_regex in one bad-regex record after one fetch', async () => {
    const fetcher = new TableFetcher(() => ({ status: 200 }));
    const ctx = await setup(
      fetcher,
      pageParser(() => new BadPatternError('allow_regex: pattern "(?<=a)b" is not supported by RE2')),
    );
    await ctx.seed('http://regex.com/');
    ctx.engine.start();
    await waitFor(() => ctx.published.length === 1, 5000, 'the failure record');
    await sleep(300);
    await ctx.engine.stop(1000);
    expect(fetcher.count('http://regex.com/')).toBe(1);
    expect(ctx.published[0]).toMatchObject({ status_code: 200, error: { reason: 'bad-regex' } });
    expect(await ctx.stats()).toEqual({ failed: '1' });
  });

  it('ends a body too long to decode in one too-large record', async () => {
    const fetcher = new TableFetcher(() => ({ status: 200 }));
    const tooLong = Object.assign(new Error('Cannot create a string longer than 0x1fffffe8 characters'), {
      code: 'ERR_STRING_TOO_LONG',
    });
    const ctx = await setup(
      fetcher,
      pageParser(() => tooLong),
    );
    await ctx.seed('http://huge.com/');
    ctx.engine.start();
    await waitFor(() => ctx.published.length === 1, 5000, 'the failure record');
    await sleep(300);
    await ctx.engine.stop(1000);
    expect(fetcher.calls).toHaveLength(1);
    expect(ctx.published[0]).toMatchObject({ error: { reason: 'too-large' } });
  });

  it('ends redirect loops and redirects to other schemes in one record each', async () => {
    const fetcher = new TableFetcher((url) => {
      const path = new URL(url).pathname;
      if (path === '/a') return { status: 302, location: '/b' };
      if (path === '/b') return { status: 302, location: '/a' };
      if (path === '/self') return { status: 301, location: '/self' };
      if (path === '/file') return { status: 302, location: 'file:///etc/passwd' };
      return { status: 200 };
    });
    const ctx = await setup(fetcher, pageParser());
    for (const path of ['/a', '/self', '/file']) await ctx.seed(`http://redir.com${path}`);
    ctx.engine.start();
    await waitFor(() => ctx.published.length === 3, 5000, 'three records');
    await sleep(300);
    await ctx.engine.stop(1000);
    const byUrl = Object.fromEntries(ctx.published.map((p) => [p.url, p]));
    expect(byUrl['http://redir.com/b']).toMatchObject({
      status_code: 302,
      error: { reason: 'redirect-loop' },
    });
    expect(byUrl['http://redir.com/self']).toMatchObject({
      status_code: 301,
      error: { reason: 'redirect-loop' },
    });
    expect(byUrl['http://redir.com/file']).toMatchObject({ error: { reason: 'unsupported-scheme' } });
    expect(fetcher.calls.sort()).toEqual([
      'http://redir.com/a',
      'http://redir.com/b',
      'http://redir.com/file',
      'http://redir.com/self',
    ]);
    expect(await ctx.stats()).toEqual({ failed: '3' });
  });

  it('counts a page published without its body as failed', async () => {
    const fetcher = new TableFetcher(() => ({ status: 200 }));
    const ctx = await setup(fetcher, pageParser(), { publish: async () => 'too-large' });
    await ctx.seed('http://big.com/');
    ctx.engine.start();
    await waitFor(async () => (await ctx.stats()).failed === '1', 5000, 'the count');
    await ctx.engine.stop(1000);
    expect(await ctx.stats()).toEqual({ failed: '1' });
  });
});
