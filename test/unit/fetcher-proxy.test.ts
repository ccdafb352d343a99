/**
 * Proxies in the fetcher: the PROXY setting, HTTP_PROXY/NO_PROXY from the environment and a request's own
 * `meta.proxy`, through a proxy of our own on loopback; the address guard still applies to the target
 * (and to a proxy a crawl request names); credentials go as Proxy-Authorization and nowhere else.
 */
import type { LookupAddress } from 'node:dns';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SettingsError } from '../../src/core/errors.js';
import {
  Fetcher,
  FetchError,
  type FetcherOptions,
  type FetcherSettings,
} from '../../src/crawler/fetch/index.js';
import { startTestWeb, type TestWeb } from '../../src/testweb/index.js';
import { captureLogger } from '../support/capture-logger.js';
import { startTestProxy } from '../support/test-proxy.js';

let web: TestWeb;
let proxy: Awaited<ReturnType<typeof startTestProxy>>;
let locked: Awaited<ReturnType<typeof startTestProxy>>;
const open: Fetcher[] = [];

function fetcher(settings: Partial<FetcherSettings> = {}, options: FetcherOptions = {}): Fetcher {
  const f = new Fetcher(
    { DOWNLOAD_TIMEOUT: 5, ...web.fetcherSettings(), ...settings },
    { env: {}, ...options },
  );
  open.push(f);
  return f;
}

async function failure(promise: Promise<unknown>): Promise<FetchError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (err instanceof FetchError) return err;
  throw new Error(`expected a FetchError, got ${String(err)}`);
}

const viaProxy = (path: string) =>
  web.requests.filter((r) => r.path === path).map((r) => r.headers.via ?? 'direct');

beforeAll(async () => {
  web = await startTestWeb({ domains: 2, pagesPerDomain: 4 });
  proxy = await startTestProxy();
  locked = await startTestProxy({ credentials: 'crawler:s3cret' });
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((f) => f.close()));
  web.reset();
  proxy.forwarded.length = 0;
  locked.forwarded.length = 0;
});

afterAll(async () => {
  await proxy?.close();
  await locked?.close();
  await web?.close();
});

describe('the fetcher through a proxy', () => {
  it('sends every request through PROXY, robots.txt included', async () => {
    const f = fetcher({ PROXY: proxy.url() });
    const page = await f.fetch({ url: web.url(0, '/page/1') });
    expect(page.status).toBe(200);
    expect(viaProxy('/page/1')).toEqual(['1.1 test-proxy']);
    expect(viaProxy('/robots.txt')).toEqual(['1.1 test-proxy']);
    expect(proxy.forwarded).toEqual([web.url(0, '/robots.txt'), web.url(0, '/page/1')]);
  });

  it('honours HTTP_PROXY and NO_PROXY from the environment', async () => {
    const env = { http_proxy: proxy.url(), NO_PROXY: `${web.host(1)}, .example.org` };
    const f = fetcher({ ROBOTSTXT_OBEY: false }, { env });
    await f.fetch({ url: web.url(0, '/page/2') });
    await f.fetch({ url: web.url(1, '/page/2') });
    expect(proxy.forwarded).toEqual([web.url(0, '/page/2')]);
    expect(web.requestsFor(web.host(1)).map((r) => r.headers.via ?? 'direct')).toEqual(['direct']);
  });

  it("uses a request's own proxy (meta.proxy) over PROXY and the environment", async () => {
    const other = await startTestProxy();
    try {
      const f = fetcher({ ROBOTSTXT_OBEY: false, PROXY: other.url() }, { env: { HTTP_PROXY: other.url() } });
      await f.fetch({ url: web.url(0, '/page/3'), proxy: proxy.url() });
      expect(proxy.forwarded).toEqual([web.url(0, '/page/3')]);
      expect(other.forwarded).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('still refuses a private target, and a proxy a request names on a refused address', async () => {
    const publicDns = async (host: string): Promise<LookupAddress[]> => [
      { address: host === 'inside.test' ? '10.0.0.7' : '93.184.216.34', family: 4 },
    ];
    const f = fetcher(
      { ROBOTSTXT_OBEY: false, PROXY: proxy.url(), DNS_OVERRIDES: {}, ALLOWED_ADDRESSES: [] },
      { dnsLookup: publicDns },
    );
    expect((await failure(f.fetch({ url: 'http://inside.test/' }))).reason).toBe('blocked-address');
    // The operator's PROXY may be on loopback; a proxy named by a crawl request may not.
    const named = await failure(f.fetch({ url: 'http://site.example/', proxy: proxy.url() }));
    expect([named.reason, named.retryable]).toEqual(['blocked-address', false]);
    expect(proxy.forwarded).toEqual([]);
  });

  it('sends credentials as Proxy-Authorization only, and never shows the password', async () => {
    const { logger, lines } = captureLogger('fetch', 'DEBUG');
    const f = fetcher({ ROBOTSTXT_OBEY: false, PROXY: locked.url('crawler:s3cret') }, { logger });
    const page = await f.fetch({ url: web.url(0, '/page/1') });
    expect(page.status).toBe(200);
    expect(locked.authSeen.at(-1)).toBe(`Basic ${Buffer.from('crawler:s3cret').toString('base64')}`);
    expect(web.requests.every((r) => r.headers['proxy-authorization'] === undefined)).toBe(true);
    expect(JSON.stringify(page.requestHeaders)).not.toContain('s3cret');
    const wrong = fetcher({ ROBOTSTXT_OBEY: false }, { logger });
    const refused = await failure(
      wrong.fetch({ url: web.url(0, '/page/2'), proxy: locked.url('crawler:wrong-s3cret') }),
    );
    expect(refused.message).not.toContain('s3cret');
    expect(JSON.stringify(lines)).not.toContain('s3cret');
  });

  it('fails a request with an invalid proxy, and refuses an invalid PROXY at start, hiding the password', async () => {
    const f = fetcher({ ROBOTSTXT_OBEY: false });
    const bad = await failure(f.fetch({ url: web.url(0, '/'), proxy: 'socks5://u:pw123@p.test:1080' }));
    expect([bad.reason, bad.retryable]).toEqual(['invalid-proxy', false]);
    expect(bad.message).not.toContain('pw123');
    expect(() => fetcher({ PROXY: 'ftp://u:pw123@p.test' })).toThrow(SettingsError);
    expect(() => fetcher({ PROXY: 'ftp://u:pw123@p.test' })).toThrow(
      /^Setting PROXY: ftp:\/\/u:\*\*\*@p\.test/,
    );
  });

  it('counts a proxy that cannot be reached as a retryable network failure', async () => {
    const gone = await startTestProxy();
    const url = gone.url();
    await gone.close();
    const f = fetcher({ ROBOTSTXT_OBEY: false, PROXY: url });
    const err = await failure(f.fetch({ url: web.url(0, '/page/1') }));
    expect(err.retryable).toBe(true);
    expect(web.requests.filter((r) => r.path === '/page/1')).toEqual([]);
  });
});
