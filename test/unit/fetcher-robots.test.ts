import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  Fetcher,
  FetchError,
  productToken,
  type FetcherOptions,
  type FetcherSettings,
} from '../../src/crawler/fetch/index.js';
import { startTestWeb, type TestWeb } from '../../src/testweb/index.js';

let web: TestWeb;
const open: Fetcher[] = [];

// Sites 0-1 serve rules; site 2's robots.txt answers 404, site 3's 503, site 4's 401.
function fetcher(settings: Partial<FetcherSettings> = {}, options: FetcherOptions = {}): Fetcher {
  const f = new Fetcher({ ...web.fetcherSettings(), ...settings }, options);
  open.push(f);
  return f;
}

async function failure(f: Fetcher, url: string): Promise<FetchError> {
  try {
    await f.fetch({ url });
  } catch (err) {
    if (err instanceof FetchError) return err;
    throw err;
  }
  throw new Error(`expected ${url} to fail`);
}

const robotsRequests = (domain: number) =>
  web.requestsFor(web.host(domain)).filter((r) => r.path === '/robots.txt').length;

beforeAll(async () => {
  web = await startTestWeb({ domains: 5, pagesPerDomain: 5, robotsStatus: { 2: 404, 3: 503, 4: 401 } });
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((f) => f.close()));
  web.reset();
});
afterAll(async () => {
  await web.close();
});

describe('robots.txt', () => {
  it('is obeyed by default: a disallowed URL fails with reason robots, not retryable', async () => {
    const f = fetcher();
    expect((await f.fetch({ url: web.url(0, '/') })).status).toBe(200);
    const err = await failure(f, web.url(0, '/private/1'));
    expect(err.reason).toBe('robots');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain(`Refused ${web.url(0, '/private/1')}: disallowed by`);
    expect(web.requestsFor('d0.test').map((r) => r.path)).toEqual(['/robots.txt', '/']);
  });

  it('is fetched once per origin, even by concurrent requests', async () => {
    const f = fetcher();
    await Promise.all([1, 2, 3, 4].map((p) => f.fetch({ url: web.pageUrl(1, p) })));
    await f.fetch({ url: web.pageUrl(1, 0) });
    expect(robotsRequests(1)).toBe(1);
    // Another host is another origin, with its own robots.txt.
    await f.fetch({ url: `http://www.d1.test:${web.port}/` });
    expect(web.requestsFor('www.d1.test').map((r) => r.path)).toEqual(['/robots.txt', '/']);
  });

  it('matches groups by the product token of USER_AGENT', async () => {
    expect(productToken('Scrapy/1.5.0 (+https://scrapy.org)')).toBe('Scrapy');
    expect(productToken('BadBot')).toBe('BadBot');
    const bad = fetcher({ USER_AGENT: 'BadBot/2.1 (+http://bad.example)' });
    expect((await failure(bad, web.url(0, '/'))).reason).toBe('robots');
    expect(await bad.isAllowedByRobots(web.url(0, '/page/1'))).toBe(false);
    const good = fetcher();
    expect(await good.isAllowedByRobots(web.url(0, '/page/1'))).toBe(true);
    expect(await good.isAllowedByRobots(web.url(0, '/private/2'))).toBe(false);
  });

  it('applies to every redirect hop', async () => {
    const target = encodeURIComponent(web.url(1, '/private/3'));
    const err = await failure(fetcher(), web.url(0, `/redirect-to?url=${target}`));
    expect(err.reason).toBe('robots');
    expect(err.url).toBe(web.url(1, '/private/3'));
    expect(web.requestsFor('d1.test').map((r) => r.path)).toEqual(['/robots.txt']);
  });

  it('allows everything when robots.txt answers 4xx', async () => {
    const f = fetcher();
    expect((await f.fetch({ url: web.url(2, '/private/1') })).status).toBe(200);
    expect((await f.fetch({ url: web.url(4, '/private/1') })).status).toBe(200);
  });

  it('disallows everything for a while when robots.txt answers 5xx, retryably', async () => {
    const f = fetcher();
    const err = await failure(f, web.url(3, '/'));
    expect(err.reason).toBe('robots');
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('answered 503');
    expect((await failure(f, web.url(3, '/page/1'))).reason).toBe('robots');
    expect(robotsRequests(3)).toBe(1);
    expect(web.requestsFor('d3.test').filter((r) => r.path !== '/robots.txt')).toHaveLength(0);
  });

  it('asks again once a 5xx answer has expired', async () => {
    const f = fetcher({}, { robotsErrorTtlMs: 1 });
    await failure(f, web.url(3, '/'));
    await new Promise((resolve) => setTimeout(resolve, 5));
    await failure(f, web.url(3, '/'));
    expect(robotsRequests(3)).toBe(2);
  });

  it('fails the page retryably with the same reason when robots.txt cannot be fetched at all', async () => {
    const spare = await startTestWeb({ domains: 1, pagesPerDomain: 1, record: false });
    const port = spare.port;
    await spare.close();
    const err = await failure(fetcher(), `http://d0.test:${port}/`);
    expect(err.reason).toBe('connect');
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('robots.txt could not be fetched');
  });

  it('fetches robots.txt through the address guard', async () => {
    const f = fetcher({ ALLOWED_ADDRESSES: [] });
    expect((await failure(f, web.url(0, '/'))).reason).toBe('blocked-address');
    expect(web.requests).toHaveLength(0);
  });

  it('is ignored when ROBOTSTXT_OBEY is off', async () => {
    const f = fetcher({ ROBOTSTXT_OBEY: false });
    expect((await f.fetch({ url: web.url(0, '/private/1') })).status).toBe(200);
    expect(await f.isAllowedByRobots(web.url(0, '/private/1'))).toBe(true);
    expect(robotsRequests(0)).toBe(0);
  });
});
