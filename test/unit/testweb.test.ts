import { request } from 'undici';
import zlib from 'node:zlib';
import { getDomain } from 'tldts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CHARSET_SAMPLE,
  COMPRESSED_MARKER,
  spawnTestWeb,
  startTestWeb,
  type TestWeb,
} from '../../src/testweb/index.js';

/** Talks to the test web directly on 127.0.0.1 with a chosen Host header (no DNS, no fetcher). */
async function get(web: TestWeb, host: string, path: string, headers: Record<string, string> = {}) {
  const res = await request(`http://127.0.0.1:${web.port}${path}`, {
    headers: { host: `${host}:${web.port}`, ...headers },
  });
  const body = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, headers: res.headers, body, text: body.toString('utf8') };
}

/** A crude extractor for these pages: hrefs of <a> and <area> outside <script>. */
function hrefs(html: string): string[] {
  const visible = html.replace(/<script>[\s\S]*?<\/script>/g, '');
  return [...visible.matchAll(/<(?:a|area)\b[^>]*\bhref="([^"]*)"/g)].map((m) =>
    m[1]!.replace(/&amp;/g, '&'),
  );
}

describe('test web', () => {
  let web: TestWeb;

  beforeAll(async () => {
    web = await startTestWeb({
      domains: 4,
      pagesPerDomain: 20,
      linksPerPage: 5,
      crossDomainLinks: 2,
      nonHtmlLinks: 2,
      redirects: 1,
      privateLinks: 1,
      robotsStatus: { 3: 503 },
      slowPaths: { '/lagging': 10 },
      seed: 7,
    });
  });
  afterAll(async () => {
    await web.close();
  });

  it('names every site as its own registered domain', () => {
    expect(web.host(3)).toBe('d3.test');
    expect(web.url(3, '/x')).toBe(`http://d3.test:${web.port}/x`);
    expect(getDomain('www.d3.test')).toBe('d3.test');
    expect(getDomain(new URL(web.url(2)).hostname)).toBe('d2.test');
  });

  it('builds the same graph from the same options and a different one from another seed', async () => {
    const twin = await startTestWeb({ ...web.options, port: 0, record: false });
    const other = await startTestWeb({ ...web.options, port: 0, seed: 8, record: false });
    try {
      const path = (w: TestWeb) => w.linksOf(w.pageUrl(1, 5))!.map((l) => new URL(l.target).pathname);
      expect(path(twin)).toEqual(path(web));
      expect(path(other)).not.toEqual(path(web));
      const page = await get(web, 'd1.test', '/page/5');
      const again = await get(web, 'd1.test', '/page/5');
      expect(again.text).toBe(page.text);
    } finally {
      await twin.close();
      await other.close();
    }
  });

  it('serves pages whose links resolve (relative, absolute, protocol-relative, <base>, <area>) to linksOf', async () => {
    for (const [domain, page] of [
      [0, 0],
      [1, 3],
      [2, 7],
      [3, 12],
    ] as const) {
      const url = web.pageUrl(domain, page);
      const res = await get(web, web.host(domain), new URL(url).pathname);
      expect(res.status).toBe(200);
      expect(res.text).toContain(`<title>d${domain}.test page ${page}</title>`);
      const base = /<base href="([^"]*)"/.exec(res.text)?.[1];
      const baseUrl = base === undefined ? url : new URL(base, url).href;
      const resolved = hrefs(res.text)
        .map((h) => new URL(h, baseUrl))
        .filter((u) => u.protocol === 'http:' && u.hash === '')
        .map((u) => u.href);
      expect(resolved).toEqual(web.linksOf(url)!.map((l) => l.target));
    }
    const home = await get(web, 'd0.test', '/');
    expect(home.text).toContain('<base href="/page/">');
    expect(home.text).toContain('<area ');
    expect(home.text).toContain('mailto:');
  });

  it('links every page into one graph: all pages are reachable from the first home page', () => {
    const all = web.allPageUrls();
    expect(all).toHaveLength(4 * 20);
    expect(new Set(all).size).toBe(all.length);
    const reach = web.reachablePages(web.pageUrl(0, 0));
    expect([...reach.keys()].sort()).toEqual([...all].sort());
    expect(reach.get(web.pageUrl(0, 0))).toBe(0);
    const site = web.reachablePages(web.pageUrl(1, 0), { sameDomain: true });
    expect(site.size).toBe(20);
    expect([...site.keys()].every((u) => u.includes('//d1.test:'))).toBe(true);
    const shallow = web.reachablePages(web.pageUrl(0, 0), { maxDepth: 1 });
    expect(Math.max(...shallow.values())).toBe(1);
    expect(shallow.size).toBeLessThan(reach.size);
  });

  it('has each kind of link asked for', () => {
    const kinds = web.linksOf(web.pageUrl(2, 4))!.map((l) => l.kind);
    expect(kinds.filter((k) => k === 'page')).toHaveLength(5);
    expect(kinds.filter((k) => k === 'cross')).toHaveLength(2);
    expect(kinds.filter((k) => k === 'file' || k === 'image')).toHaveLength(2);
    expect(kinds.filter((k) => k === 'redirect')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'private')).toHaveLength(1);
  });

  it('serves robots.txt, non-HTML files, redirects and 404s', async () => {
    const robots = await get(web, 'd0.test', '/robots.txt');
    expect(robots.text).toContain('Disallow: /private/');
    expect(robots.text).toContain('User-agent: BadBot');
    expect((await get(web, 'd3.test', '/robots.txt')).status).toBe(503);
    const pdf = await get(web, 'd0.test', '/files/3.pdf');
    expect(pdf.headers['content-type']).toBe('application/pdf');
    const png = await get(web, 'd0.test', '/img/3.png');
    expect(png.body.subarray(1, 4).toString()).toBe('PNG');
    const moved = await get(web, 'd1.test', '/redirect/4');
    expect(moved.status).toBe(302);
    expect(moved.headers.location).toBe('/page/4');
    const anywhere = await get(web, 'd1.test', '/redirect-to?url=http%3A%2F%2F10.0.0.1%2F&code=307');
    expect(anywhere.status).toBe(307);
    expect(anywhere.headers.location).toBe('http://10.0.0.1/');
    expect((await get(web, 'd1.test', '/redirect-chain/2')).headers.location).toBe('/redirect-chain/1');
    expect((await get(web, 'd1.test', '/page/20')).status).toBe(404);
    expect((await get(web, 'd9.test', '/')).status).toBe(404);
    expect((await get(web, 'd0.test', '/status/418')).status).toBe(418);
    expect((await get(web, 'd0.test', '/private/1')).status).toBe(200);
  });

  it('fails flaky pages k times per id, then recovers; reset() forgets', async () => {
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await get(web, 'd0.test', '/flaky/a?fail=2&code=503')).status);
    expect(statuses).toEqual([503, 503, 200, 200]);
    expect((await get(web, 'd1.test', '/flaky/a?fail=1&code=500')).status).toBe(500);
    web.reset();
    expect((await get(web, 'd0.test', '/flaky/a?fail=1')).status).toBe(503);
  });

  it('serves compressed bodies', async () => {
    const gz = await get(web, 'd0.test', '/gzip');
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(zlib.gunzipSync(gz.body).toString()).toContain(COMPRESSED_MARKER);
    const br = await get(web, 'd0.test', '/br');
    expect(zlib.brotliDecompressSync(br.body).toString()).toContain(COMPRESSED_MARKER);
    const raw = await get(web, 'd0.test', '/deflate-raw');
    expect(zlib.inflateRawSync(raw.body).toString()).toContain(COMPRESSED_MARKER);
    const big = await get(web, 'd0.test', '/big?bytes=300000&encoding=gzip');
    expect(big.body.length).toBeLessThan(10_000);
    expect(zlib.gunzipSync(big.body).length).toBe(300_000);
    expect((await get(web, 'd0.test', '/big?bytes=12345')).body.length).toBe(12_345);
  });

  it('serves windows-1251 pages declared by header, meta or http-equiv', async () => {
    const decode = (body: Buffer) => new TextDecoder('windows-1251').decode(body);
    const header = await get(web, 'd0.test', '/charset/windows-1251?via=header');
    expect(header.headers['content-type']).toBe('text/html; charset=windows-1251');
    expect(decode(header.body)).toContain(CHARSET_SAMPLE);
    expect(header.text).not.toContain(CHARSET_SAMPLE);
    const meta = await get(web, 'd0.test', '/charset/windows-1251?via=meta');
    expect(meta.headers['content-type']).toBe('text/html');
    expect(decode(meta.body)).toContain('<meta charset="windows-1251">');
    const bom = await get(web, 'd0.test', '/charset/utf-8?via=bom');
    expect([...bom.body.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect((await get(web, 'd0.test', '/charset/windows-1251?via=bom')).status).toBe(400);
  });

  it('echoes cookies and headers', async () => {
    expect((await get(web, 'd0.test', '/cookies', { cookie: 'a=1; b=2' })).text).toBe('a=1; b=2');
    expect((await get(web, 'd0.test', '/cookies')).text).toBe('');
    const headers = JSON.parse((await get(web, 'd0.test', '/headers', { 'x-test': 'yes' })).text);
    expect(headers['x-test']).toBe('yes');
    const set = await get(web, 'd0.test', '/set-cookie?session=abc');
    expect(set.headers['set-cookie']).toBe('session=abc; Path=/');
  });

  it('delays slow paths and /slow/<ms>', async () => {
    expect((await get(web, 'd0.test', '/slow/20')).text).toContain('Slow 20 ms');
    expect((await get(web, 'd0.test', '/lagging')).status).toBe(404);
  });

  it('records every request with a timestamp, host, path, method and headers', async () => {
    web.reset();
    const before = Date.now();
    await get(web, 'd2.test', '/page/1?x=1', { 'x-mark': 'one' });
    await get(web, 'www.d2.test', '/');
    await get(web, 'd1.test', '/');
    expect(web.requests).toHaveLength(3);
    const [first] = web.requests;
    expect(first).toMatchObject({ host: 'd2.test', path: '/page/1?x=1', method: 'GET' });
    expect(first!.headers['x-mark']).toBe('one');
    expect(first!.time).toBeGreaterThanOrEqual(before - 1);
    expect(web.requestsFor('d2.test')).toHaveLength(1);
    expect(web.requestsFor(`d1.test:${web.port}`)).toHaveLength(1);
    expect(web.requestsFor('www.d2.test')).toHaveLength(1);
    web.reset();
    expect(web.requests).toHaveLength(0);
    expect(web.requestCount).toBe(0);
  });

  it('keeps at most `record` requests but counts them all', async () => {
    const capped = await startTestWeb({ domains: 1, pagesPerDomain: 3, record: 2 });
    const off = await startTestWeb({ domains: 1, pagesPerDomain: 3, record: false });
    try {
      for (let i = 0; i < 5; i++) {
        await get(capped, 'd0.test', '/');
        await get(off, 'd0.test', '/');
      }
      expect(capped.requests).toHaveLength(2);
      expect(capped.requestCount).toBe(5);
      expect(off.requests).toHaveLength(0);
      expect(off.requestCount).toBe(5);
    } finally {
      await capped.close();
      await off.close();
    }
  });

  it('pads pages to pageBytes', async () => {
    const padded = await startTestWeb({ domains: 1, pagesPerDomain: 3, pageBytes: 20_000, record: false });
    try {
      const res = await get(padded, 'd0.test', '/page/1');
      expect(res.body.length).toBeGreaterThanOrEqual(20_000);
      expect(res.body.length).toBeLessThan(20_100);
    } finally {
      await padded.close();
    }
  });

  it('runs in a child process too, with the same graph', async () => {
    const child = await spawnTestWeb({ domains: 2, pagesPerDomain: 4, seed: 3 });
    try {
      const res = await request(child.url(1, '/page/2').replace('d1.test', '127.0.0.1'), {
        headers: { host: `d1.test:${child.port}` },
      });
      const html = await res.body.text();
      expect(res.statusCode).toBe(200);
      expect(html).toContain('<title>d1.test page 2</title>');
      const twin = await startTestWeb({ domains: 2, pagesPerDomain: 4, seed: 3, record: false });
      try {
        const paths = (links: { target: string }[]) => links.map((l) => new URL(l.target).pathname);
        expect(paths(child.graph.linksOf(child.url(1, '/page/2'))!)).toEqual(
          paths(twin.linksOf(twin.url(1, '/page/2'))!),
        );
      } finally {
        await twin.close();
      }
      expect(child.allPageUrls()).toHaveLength(8);
    } finally {
      await child.close();
    }
    expect(() => process.kill(child.pid, 0)).toThrow();
  });
});
