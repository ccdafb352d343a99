import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ClosedError } from '../../src/core/errors.js';
import {
  Fetcher,
  FetchError,
  parseCookieString,
  type FetcherSettings,
  type FetchRequest,
} from '../../src/crawler/fetch/index.js';
import { COMPRESSED_MARKER, startTestWeb, type TestWeb } from '../../src/testweb/index.js';

let web: TestWeb;
const open: Fetcher[] = [];

function fetcher(settings: Partial<FetcherSettings> = {}): Fetcher {
  const f = new Fetcher({ ...web.fetcherSettings(), ROBOTSTXT_OBEY: false, ...settings });
  open.push(f);
  return f;
}

async function failure(f: Fetcher, req: FetchRequest | string, signal?: AbortSignal): Promise<FetchError> {
  try {
    await f.fetch(typeof req === 'string' ? { url: req } : req, signal);
  } catch (err) {
    if (err instanceof FetchError) return err;
    throw err;
  }
  throw new Error('expected the fetch to fail');
}

beforeAll(async () => {
  web = await startTestWeb({ domains: 3, pagesPerDomain: 10 });
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((f) => f.close()));
});
afterAll(async () => {
  await web.close();
});

describe('Fetcher requests', () => {
  it('returns the page with status, headers, final URL and timing', async () => {
    const res = await fetcher().fetch({ url: web.pageUrl(1, 2) });
    expect(res.status).toBe(200);
    expect(res.statusText).toBe('OK');
    expect(res.url).toBe(web.pageUrl(1, 2));
    expect(res.finalUrl).toBe(web.pageUrl(1, 2));
    expect(res.redirects).toEqual([]);
    expect(res.headers['content-type']).toEqual(['text/html; charset=utf-8']);
    expect(res.text).toContain('<title>d1.test page 2</title>');
    expect(res.body.toString('utf8')).toBe(res.text);
    expect(res.elapsedMs).toBeGreaterThan(0);
  });

  it('returns HTTP errors as responses, not failures', async () => {
    const res = await fetcher().fetch({ url: web.url(0, '/status/404') });
    expect(res.status).toBe(404);
    expect(res.statusText).toBe('Not Found');
    const teapot = await fetcher().fetch({ url: web.url(0, '/status/503') });
    expect(teapot.status).toBe(503);
  });

  it('sends DEFAULT_REQUEST_HEADERS, USER_AGENT and Accept-Encoding, and reports what it sent', async () => {
    const res = await fetcher().fetch({ url: web.url(0, '/headers') });
    const seen = JSON.parse(res.text);
    expect(seen.accept).toBe('text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8');
    expect(seen['accept-language']).toBe('en');
    expect(seen['user-agent']).toBe('Scrapy/1.5.0 (+https://scrapy.org)');
    expect(seen['accept-encoding']).toBe('gzip,deflate,br');
    expect(seen.host).toBe(`d0.test:${web.port}`);
    expect(res.requestHeaders['user-agent']).toEqual(['Scrapy/1.5.0 (+https://scrapy.org)']);
    expect(res.requestHeaders.accept).toEqual([seen.accept]);
  });

  it("lets USER_AGENT, a request's userAgent and its headers (any case) override the defaults", async () => {
    const f = fetcher({
      USER_AGENT: 'TestBot/2.0',
      DEFAULT_REQUEST_HEADERS: { 'X-Default': 'd', Accept: 'a/b' },
    });
    const plain = JSON.parse((await f.fetch({ url: web.url(0, '/headers') })).text);
    expect(plain['user-agent']).toBe('TestBot/2.0');
    expect(plain['x-default']).toBe('d');
    const custom = await f.fetch({
      url: web.url(0, '/headers'),
      userAgent: 'Special/1.0',
      headers: { ACCEPT: 'text/plain', 'X-Extra': 'e' },
    });
    const seen = JSON.parse(custom.text);
    expect(seen['user-agent']).toBe('Special/1.0');
    expect(seen.accept).toBe('text/plain');
    expect(seen['x-extra']).toBe('e');
    expect(custom.requestHeaders.accept).toEqual(['text/plain']);
    const nullAgent = JSON.parse((await f.fetch({ url: web.url(0, '/headers'), userAgent: null })).text);
    expect(nullAgent['user-agent']).toBe('TestBot/2.0');
  });

  it('sends POST bodies', async () => {
    const res = await fetcher().fetch({
      url: web.url(0, '/echo'),
      method: 'post',
      body: 'a=1&b=2',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(JSON.parse(res.text)).toMatchObject({ method: 'POST', body: 'a=1&b=2' });
  });
});

describe('Fetcher cookies', () => {
  it("sends a request's cookies as one Cookie header, from a dict or a cookie string", async () => {
    const f = fetcher();
    const fromDict = await f.fetch({ url: web.url(0, '/cookies'), cookies: { a: '1', b: 'two' } });
    expect(fromDict.text).toBe('a=1; b=two');
    expect(fromDict.requestHeaders.cookie).toEqual(['a=1; b=two']);
    const fromString = await f.fetch({ url: web.url(0, '/cookies'), cookies: 'x=1; y=2;z=3' });
    expect(fromString.text).toBe('x=1; y=2; z=3');
  });

  it("parses cookie strings as the original's parse_cookie, attributes included", () => {
    expect(
      parseCookieString('ajs_user_id=null; ajs_group_id=null; path=/; expires=Tue, 01 Jan 2030'),
    ).toEqual({
      ajs_user_id: 'null',
      ajs_group_id: 'null',
      path: '/',
      expires: 'Tue, 01 Jan 2030',
    });
    expect(parseCookieString('a=1; a=2')).toEqual({ a: '2' });
    expect(parseCookieString('')).toEqual({});
  });

  it('keeps no cookie jar between requests', async () => {
    const f = fetcher();
    const set = await f.fetch({ url: web.url(0, '/set-cookie?session=abc') });
    expect(set.headers['set-cookie']).toEqual(['session=abc; Path=/']);
    expect((await f.fetch({ url: web.url(0, '/cookies') })).text).toBe('');
    expect((await f.fetch({ url: web.url(0, '/cookies'), cookies: { other: '1' } })).text).toBe('other=1');
    expect((await f.fetch({ url: web.url(0, '/cookies') })).text).toBe('');
  });

  it('keeps cookies on a same-host redirect and drops them when the redirect leaves the host', async () => {
    const f = fetcher();
    const same = await f.fetch({ url: web.url(0, '/redirect-to?url=/cookies'), cookies: { a: '1' } });
    expect(same.text).toBe('a=1');
    const away = encodeURIComponent(web.url(1, '/cookies'));
    const other = await f.fetch({ url: web.url(0, `/redirect-to?url=${away}`), cookies: { a: '1' } });
    expect(other.finalUrl).toBe(web.url(1, '/cookies'));
    expect(other.text).toBe('');
    expect(other.requestHeaders.cookie).toBeUndefined();
  });
});

describe('Fetcher redirects', () => {
  it('follows redirects and lists the URLs that redirected', async () => {
    const res = await fetcher().fetch({ url: web.url(0, '/redirect-chain/3') });
    expect(res.status).toBe(200);
    expect(res.url).toBe(web.url(0, '/redirect-chain/3'));
    expect(res.finalUrl).toBe(web.url(0, '/redirect-chain/0'));
    expect(res.redirects).toEqual([
      web.url(0, '/redirect-chain/3'),
      web.url(0, '/redirect-chain/2'),
      web.url(0, '/redirect-chain/1'),
    ]);
    const graph = await fetcher().fetch({ url: web.url(2, '/redirect/4') });
    expect(graph.finalUrl).toBe(web.pageUrl(2, 4));
  });

  it('stops after REDIRECT_MAX_TIMES (20 by default)', async () => {
    expect((await fetcher().fetch({ url: web.url(0, '/redirect-chain/20') })).status).toBe(200);
    const tooMany = await failure(fetcher(), web.url(0, '/redirect-chain/21'));
    expect(tooMany.reason).toBe('too-many-redirects');
    expect(tooMany.retryable).toBe(false);
    expect(tooMany.message).toContain(web.url(0, '/redirect-chain/21'));
    expect((await failure(fetcher({ REDIRECT_MAX_TIMES: 2 }), web.url(0, '/redirect-chain/3'))).reason).toBe(
      'too-many-redirects',
    );
  });

  it('returns the redirect itself when REDIRECT_ENABLED is off', async () => {
    const res = await fetcher({ REDIRECT_ENABLED: false }).fetch({ url: web.url(0, '/redirect/2') });
    expect(res.status).toBe(302);
    expect(res.headers.location).toEqual(['/page/2']);
  });

  it('turns POST into GET on 302/303 and keeps it on 307, as Scrapy does', async () => {
    const post = { method: 'POST', body: 'x=1', headers: { 'content-type': 'text/plain' } };
    const found = await fetcher().fetch({ url: web.url(0, '/redirect-to?url=/echo&code=302'), ...post });
    expect(JSON.parse(found.text)).toMatchObject({ method: 'GET', body: '' });
    expect(JSON.parse(found.text).headers['content-type']).toBeUndefined();
    const temp = await fetcher().fetch({ url: web.url(0, '/redirect-to?url=/echo&code=307'), ...post });
    expect(JSON.parse(temp.text)).toMatchObject({ method: 'POST', body: 'x=1' });
  });

  it('refuses a redirect into a non-http scheme', async () => {
    const err = await failure(
      fetcher(),
      web.url(0, '/redirect-to?url=' + encodeURIComponent('file:///etc/passwd')),
    );
    expect(err.reason).toBe('unsupported-scheme');
    expect(err.retryable).toBe(false);
  });
});

describe('Fetcher decoding and size limits', () => {
  it('decodes gzip, deflate (zlib and raw) and br, and drops Content-Encoding', async () => {
    for (const path of ['/gzip', '/deflate', '/deflate-raw', '/br']) {
      const res = await fetcher().fetch({ url: web.url(0, path) });
      expect(res.text, path).toContain(COMPRESSED_MARKER);
      expect(res.headers['content-encoding'], path).toBeUndefined();
      expect(res.headers['content-type']).toEqual(['text/html; charset=utf-8']);
    }
  });

  it('fails (retryably) on a body that is not what its Content-Encoding says', async () => {
    const err = await failure(fetcher(), web.url(0, '/bad-gzip'));
    expect(err.reason).toBe('network');
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('cannot decode gzip body');
  });

  it('applies DOWNLOAD_MAXSIZE to plain bodies', async () => {
    const f = fetcher({ DOWNLOAD_MAXSIZE: 100_000 });
    expect((await f.fetch({ url: web.url(0, '/big?bytes=100000') })).body.length).toBe(100_000);
    const err = await failure(f, web.url(0, '/big?bytes=100001'));
    expect(err.reason).toBe('too-large');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('/big?bytes=100001');
  });

  it('applies DOWNLOAD_MAXSIZE to decoded bytes: a small compressed body can be too large', async () => {
    const f = fetcher({ DOWNLOAD_MAXSIZE: 200_000 });
    expect((await f.fetch({ url: web.url(0, '/big?bytes=200000&encoding=gzip') })).body.length).toBe(200_000);
    for (const encoding of ['gzip', 'br', 'deflate']) {
      const err = await failure(f, web.url(0, `/big?bytes=300000&encoding=${encoding}`));
      expect(err.reason, encoding).toBe('too-large');
    }
  });

  it('stops a gzip bomb without inflating it', async () => {
    const f = fetcher({ DOWNLOAD_MAXSIZE: 1 << 20 });
    const before = process.memoryUsage().arrayBuffers;
    // 4 GiB of zeros in about 4 MB of gzip.
    const err = await failure(f, web.url(0, `/big?bytes=${4 * 2 ** 30}&encoding=gzip`));
    expect(err.reason).toBe('too-large');
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(256 * 2 ** 20);
  });
});

describe('Fetcher connections', () => {
  it('keeps connections alive per origin', async () => {
    web.reset();
    const f = fetcher({ CONCURRENT_REQUESTS_PER_DOMAIN: 1 });
    for (const page of [1, 2, 3]) await f.fetch({ url: web.pageUrl(0, page) });
    await f.fetch({ url: web.pageUrl(1, 1) });
    const ports = web.requests.map((r) => r.remotePort);
    expect(new Set(ports.slice(0, 3)).size).toBe(1);
    expect(ports[3]).not.toBe(ports[0]);
  });

  it('can share one connection between sites on the same address, keeping each Host', async () => {
    web.reset();
    const f = new Fetcher(
      { ...web.fetcherSettings(), ROBOTSTXT_OBEY: false, CONCURRENT_REQUESTS_PER_DOMAIN: 1 },
      { shareConnectionsPerAddress: true },
    );
    open.push(f);
    for (const domain of [0, 1, 2]) {
      const res = await f.fetch({ url: web.url(domain, '/headers') });
      expect(JSON.parse(res.text).host).toBe(`d${domain}.test:${web.port}`);
      expect(res.finalUrl).toBe(web.url(domain, '/headers'));
    }
    expect(new Set(web.requests.map((r) => r.remotePort)).size).toBe(1);
    expect(web.requests.map((r) => r.host)).toEqual(['d0.test', 'd1.test', 'd2.test']);
    const err = await failure(f, web.url(0, '/redirect-to?url=' + encodeURIComponent('http://10.0.0.1/')));
    expect(err.reason).toBe('blocked-address');
  });
});

describe('Fetcher failures', () => {
  it('times out on a slow response (headers or body) and says so', async () => {
    const f = fetcher({ DOWNLOAD_TIMEOUT: 0.3 });
    const headers = await failure(f, web.url(0, '/slow/5000'));
    expect(headers.reason).toBe('timeout');
    expect(headers.retryable).toBe(true);
    expect(headers.message).toContain('/slow/5000');
    const body = await failure(f, web.url(0, '/slow/5000?phase=body'));
    expect(body.reason).toBe('timeout');
  });

  it("stops when the caller's signal fires", async () => {
    const controller = new AbortController();
    const pending = failure(fetcher(), web.url(0, '/slow/5000'), controller.signal);
    setTimeout(() => controller.abort(), 50);
    expect((await pending).reason).toBe('aborted');
    const aborted = AbortSignal.abort();
    expect((await failure(fetcher(), web.url(0, '/'), aborted)).reason).toBe('aborted');
  });

  it('refuses other schemes and invalid URLs', async () => {
    for (const url of [
      'ftp://example.com/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'data:text/html,hi',
    ]) {
      const err = await failure(fetcher(), url);
      expect(err.reason, url).toBe('unsupported-scheme');
      expect(err.retryable).toBe(false);
    }
    const err = await failure(fetcher(), 'not a url');
    expect(err.reason).toBe('invalid-url');
    expect(err.retryable).toBe(false);
    expect(err.code).toBe('SC_BAD_INPUT');
  });

  it('reports a refused connection as retryable', async () => {
    const spare = await startTestWeb({ domains: 1, pagesPerDomain: 1, record: false });
    const port = spare.port;
    await spare.close();
    const err = await failure(fetcher(), `http://d0.test:${port}/`);
    expect(err.reason).toBe('connect');
    expect(err.retryable).toBe(true);
  });

  it('refuses to work after close()', async () => {
    const f = fetcher();
    await f.close();
    await expect(f.fetch({ url: web.url(0, '/') })).rejects.toBeInstanceOf(ClosedError);
  });
});
