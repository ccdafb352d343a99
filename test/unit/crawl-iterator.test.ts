/** The programmatic one-shot crawl: `crawl(urls, options)` from the package, on the in-memory cluster. */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crawl, type CrawlProgress, type CrawlResult, type CrawlSummary } from '../../src/index.js';
import { startTestWeb, type TestWeb } from '../../src/testweb/index.js';
import { captureLogger } from '../support/capture-logger.js';

async function drain(
  iterator: AsyncGenerator<CrawlResult, CrawlSummary>,
): Promise<{ results: CrawlResult[]; summary: CrawlSummary }> {
  const results: CrawlResult[] = [];
  for (;;) {
    const next = await iterator.next();
    if (next.done) return { results, summary: next.value };
    results.push(next.value);
  }
}

describe('crawl() async iterator', () => {
  let web: TestWeb;
  const { logger } = captureLogger('crawl', 'WARNING');
  const options = () => ({
    backends: 'memory' as const,
    env: {},
    logger,
    overrides: { ...web.fetcherSettings(), QUEUE_HITS: 50, QUEUE_WINDOW: 1, RETRY_TIMES: 0 },
  });

  beforeAll(async () => {
    web = await startTestWeb({ domains: 2, pagesPerDomain: 8, record: false });
  });
  afterAll(async () => {
    await web.close();
  });

  it('yields every page reachable within maxdepth exactly once, then returns a finished summary', async () => {
    const seed = web.url(0, '/');
    const expected = web.reachablePages(seed, { maxDepth: 1, sameDomain: true });
    const progress: CrawlProgress[] = [];
    const { results, summary } = await drain(
      crawl([seed], {
        ...options(),
        maxDepth: 1,
        allowedDomains: [web.host(0)],
        body: false,
        onProgress: (p) => progress.push(p),
      }),
    );
    const urls = results.map((r) => r.url);
    expect(new Set(urls)).toEqual(new Set(expected.keys()));
    expect(urls.length).toBe(expected.size);
    expect(results.every((r) => r.body === undefined && r.crawlid === summary.crawlid)).toBe(true);
    expect(summary).toMatchObject({ pages: expected.size, failed: 0, failures: {}, finished: true });
    expect(progress.length).toBeGreaterThan(0);
  });

  it('counts an unreachable page as a failure with its reason', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    await new Promise<void>((r) => server.close(() => r()));
    const dead = `http://127.0.0.1:${port}/`;
    const { results, summary } = await drain(crawl([web.url(1, '/'), dead], options()));
    expect(results.map((r) => r.url).sort()).toEqual([web.url(1, '/'), dead].sort());
    const failure = results.find((r) => r.url === dead)!;
    expect(failure.error?.reason).toBeTruthy();
    expect(summary.pages).toBe(1);
    expect(summary.failed).toBe(1);
    expect(summary.failures).toEqual({ [failure.error!.reason]: 1 });
  });

  it('refuses a URL that is not http(s) before starting anything', async () => {
    await expect(drain(crawl(['ftp://example.com/'], options()))).rejects.toThrow(/not an http\(s\) URL/);
  });
});
