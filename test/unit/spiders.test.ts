import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BadInputError } from '../../src/core/errors.js';
import { extractLinks } from '../../src/crawler/links/index.js';
import {
  BUILTIN_SPIDERS,
  CrawlResponse,
  isItem,
  isRequest,
  LinkSpider,
  loadSpiderFile,
  resolveSpider,
  Spider,
  WanderingSpider,
  SitemapSpider,
  type CrawlItem,
  type CrawlMeta,
  type CrawlRequest,
  type SpiderOutput,
} from '../../src/crawler/spider/index.js';
import { captureLogger } from '../support/capture-logger.js';

const PAGE_URL = 'https://www.dailyherald.test/';
const page = readFileSync(new URL('../fixtures/pages/news-front.html', import.meta.url));
const spiderFile = (name: string) => fileURLToPath(new URL(`../fixtures/spiders/${name}`, import.meta.url));

/** The meta of a fed crawl request, as the scheduler builds it (facts file 6.3). */
function crawlMeta(overrides: CrawlMeta = {}): CrawlMeta {
  return {
    appid: 'testapp',
    crawlid: 'abc123',
    spiderid: 'link',
    url: PAGE_URL,
    priority: 70,
    maxdepth: 0,
    curdepth: 0,
    domain_max_pages: null,
    allowed_domains: null,
    allow_regex: null,
    deny_regex: null,
    deny_extensions: null,
    expires: 0,
    useragent: null,
    cookie: null,
    attrs: null,
    ts: 1_700_000_000.5,
    retry_times: 0,
    ...overrides,
  };
}

function response(
  meta: CrawlMeta,
  body: Buffer | string = page,
  headers?: Record<string, string[]>,
): CrawlResponse {
  return new CrawlResponse({
    request: { url: PAGE_URL, meta },
    finalUrl: PAGE_URL,
    status: 200,
    headers: headers ?? { 'content-type': ['text/html; charset=utf-8'], 'set-cookie': ['a=1', 'b=2'] },
    requestHeaders: { 'user-agent': ['Scrapy/1.5.0 (+https://scrapy.org)'], accept: ['text/html'] },
    body: typeof body === 'string' ? Buffer.from(body) : body,
    encoding: 'utf-8',
  });
}

async function collect(spider: Spider, res: CrawlResponse): Promise<SpiderOutput[]> {
  const out: SpiderOutput[] = [];
  for await (const x of spider.parse(res)) out.push(x);
  return out;
}

function split(out: SpiderOutput[]): { items: CrawlItem[]; requests: CrawlRequest[] } {
  return { items: out.filter(isItem), requests: out.filter(isRequest) };
}

describe('LinkSpider', () => {
  const { logger } = captureLogger();

  it('is the "link" spider type', () => {
    expect(LinkSpider.spiderName).toBe('link');
    expect(new LinkSpider({ logger }).spiderName).toBe('link');
    expect(BUILTIN_SPIDERS).toEqual({ link: LinkSpider, wandering: WanderingSpider, sitemap: SitemapSpider });
  });

  it('at curdepth == maxdepth yields one item and no requests', async () => {
    const out = await collect(new LinkSpider({ logger }), response(crawlMeta({ maxdepth: 2, curdepth: 2 })));
    const { items, requests } = split(out);
    expect(items).toHaveLength(1);
    expect(requests).toHaveLength(0);
    expect(items[0]!.links).toEqual([]);
  });

  it('below maxdepth yields one request per unique link, then the item', async () => {
    const meta = crawlMeta({ maxdepth: 1, useragent: 'MyBot/2.0', attrs: { source: 'test' } });
    const out = await collect(new LinkSpider({ logger }), response(meta));
    const { items, requests } = split(out);
    const expected = extractLinks(page, PAGE_URL);

    expect(out).toHaveLength(expected.length + 1);
    expect(isItem(out.at(-1))).toBe(true);
    expect(items).toHaveLength(1);
    expect(requests.map((r) => r.url)).toEqual(expected.map((l) => l.url));
    expect(new Set(requests.map((r) => r.url)).size).toBe(requests.length);
    expect(requests.length).toBeGreaterThan(300);

    for (const r of requests) {
      expect(r.meta.priority).toBe(60);
      expect(r.meta.curdepth).toBe(1);
      // Scrapy's default referrer policy sends no Referer from this https page to plain http links.
      expect(r.headers).toEqual(
        r.url.startsWith('https:')
          ? { 'User-Agent': 'MyBot/2.0', Referer: PAGE_URL }
          : { 'User-Agent': 'MyBot/2.0' },
      );
      // Meta passthrough: every other crawl field travels unchanged.
      expect({ ...r.meta, priority: 70, curdepth: 0 }).toEqual(meta);
    }
    expect(items[0]!.links).toEqual(expected);
  });

  it('builds the RawResponseItem fields', async () => {
    const out = await collect(new LinkSpider({ logger }), response(crawlMeta({ attrs: { k: 'v' } })));
    const { body, ...item } = out[0] as CrawlItem;
    expect(body).toBe(page);
    expect(item).toEqual({
      appid: 'testapp',
      crawlid: 'abc123',
      url: PAGE_URL,
      response_url: PAGE_URL,
      status_code: 200,
      status_msg: 'OK',
      response_headers: { 'Content-Type': ['text/html; charset=utf-8'], 'Set-Cookie': ['a=1', 'b=2'] },
      request_headers: { 'User-Agent': ['Scrapy/1.5.0 (+https://scrapy.org)'], Accept: ['text/html'] },
      links: [],
      attrs: { k: 'v' },
      encoding: 'utf-8',
    });
  });

  it('applies the crawl filters from meta', async () => {
    const count = async (overrides: CrawlMeta) =>
      split(await collect(new LinkSpider({ logger }), response(crawlMeta({ maxdepth: 3, ...overrides }))))
        .requests.length;
    const all = await count({});
    expect(await count({ allowed_domains: ['weather.dailyherald.test'] })).toBe(2);
    expect(await count({ allow_regex: ['/2026/11/world/'] })).toBeLessThan(all);
    expect(await count({ deny_regex: ['/2026/'] })).toBeLessThan(all);
    expect(await count({ deny_extensions: [] })).toBeGreaterThan(all);
  });

  it('fails the page with a bad-regex failure for a pattern RE2 cannot run', async () => {
    const res = response(crawlMeta({ maxdepth: 1, allow_regex: ['(\\w+)\\1'] }));
    await expect(collect(new LinkSpider({ logger }), res)).rejects.toMatchObject({
      reason: 'bad-regex',
      retryable: false,
      code: 'SC_BAD_INPUT',
    });
  });

  it('follows nothing from a body that is not markup', async () => {
    const res = response(crawlMeta({ maxdepth: 1 }), '<a href="/x">x</a>', { 'Content-Type': ['image/png'] });
    expect(split(await collect(new LinkSpider({ logger }), res)).requests).toHaveLength(0);
  });
});

describe('WanderingSpider', () => {
  it('yields exactly one item and one request per page, 100 times over', async () => {
    const { logger } = captureLogger();
    const spider = new WanderingSpider({ logger });
    const candidates = new Set(extractLinks(page, PAGE_URL).map((l) => l.url));
    const picked = new Set<string>();
    for (let run = 0; run < 100; run++) {
      const { items, requests } = split(
        await collect(spider, response(crawlMeta({ spiderid: 'wandering' }))),
      );
      expect(items).toHaveLength(1);
      expect(requests).toHaveLength(1);
      expect(candidates.has(requests[0]!.url)).toBe(true);
      picked.add(requests[0]!.url);
    }
    // Random picks: 100 draws from 300+ links are not all the same.
    expect(picked.size).toBeGreaterThan(1);
  });

  it('counts steps in meta.step and attrs.step', async () => {
    const { logger } = captureLogger();
    const spider = new WanderingSpider({ logger });
    let meta = crawlMeta({ spiderid: 'wandering', useragent: 'Wanderer/1' });
    for (let step = 0; step < 3; step++) {
      const out = await collect(spider, response(meta));
      const request = out[0] as CrawlRequest;
      const item = out[1] as CrawlItem;
      expect(item.attrs).toEqual({ step });
      expect(request.meta.step).toBe(step + 1);
      expect(request.meta.crawlid).toBe('abc123');
      expect(request.meta.priority).toBe(70);
      expect(request.headers).toEqual({
        'User-Agent': 'Wanderer/1',
        Referer: 'https://www.dailyherald.test/',
      });
      meta = request.meta;
    }
  });

  it('keeps existing attrs and adds step', async () => {
    const { logger } = captureLogger();
    const out = await collect(
      new WanderingSpider({ logger }),
      response(crawlMeta({ attrs: { a: 1 }, step: 4 })),
    );
    expect((out.find(isItem) as CrawlItem).attrs).toEqual({ a: 1, step: 4 });
  });

  it('logs "Did not find any more links" on a page without links', async () => {
    const { logger, lines } = captureLogger();
    const out = await collect(new WanderingSpider({ logger }), response(crawlMeta(), '<p>dead end</p>'));
    expect(out).toHaveLength(1);
    expect(isItem(out[0])).toBe(true);
    expect(lines.some((l) => l.level === 'INFO' && l.message === 'Did not find any more links')).toBe(true);
  });
});

describe('Spider helpers', () => {
  class Helper extends Spider {
    static override readonly spiderName: string = 'helper';
    override async *parse(): AsyncGenerator<SpiderOutput> {}
  }
  const spider = new Helper({ logger: captureLogger().logger, settings: { MY_SETTING: 1 } });

  it('follow resolves the URL and lets explicit meta win over passthrough', () => {
    const res = response(crawlMeta({ useragent: 'UA', custom: 'kept' }));
    const req = spider.follow(res, 'sub/page?b=1&a=2', { priority: 5, spiderid: 'wandering' });
    expect(req.url).toBe('https://www.dailyherald.test/sub/page?b=1&a=2');
    expect(req.method).toBe('GET');
    expect(req.callback).toBe('parse');
    expect(req.headers).toEqual({ 'User-Agent': 'UA', Referer: 'https://www.dailyherald.test/' });
    expect(req.meta).toMatchObject({ priority: 5, spiderid: 'wandering', custom: 'kept', crawlid: 'abc123' });
    expect(res.meta.priority).toBe(70);
  });

  it('follow takes an extracted link as it is', () => {
    const req = spider.follow(response(crawlMeta()), { url: 'https://a.test/p?a=1&b=2', text: 'p' });
    expect(req.url).toBe('https://a.test/p?a=1&b=2');
  });

  it('follow takes request options', () => {
    const req = spider.follow(
      response(crawlMeta()),
      '/form',
      {},
      { method: 'POST', body: 'a=1', dontFilter: true },
    );
    expect(req).toMatchObject({ method: 'POST', body: 'a=1', dontFilter: true, headers: {} });
  });

  it("follow lets the crawl's useragent replace any spelling of the header", () => {
    const res = response(crawlMeta({ useragent: 'UA' }));
    const req = spider.follow(res, '/x', {}, { headers: { 'user-agent': 'other', Accept: 'text/html' } });
    expect(req.headers).toEqual({
      Accept: 'text/html',
      'User-Agent': 'UA',
      Referer: 'https://www.dailyherald.test/',
    });
  });

  it('keeps settings', () => {
    expect(spider.settings).toEqual({ MY_SETTING: 1 });
  });

  it('tells items from requests', () => {
    const res = response(crawlMeta());
    const item = spider.buildItem(res);
    const req = spider.follow(res, '/x');
    expect([isItem(item), isRequest(item), isItem(req), isRequest(req)]).toEqual([true, false, false, true]);
    expect(isRequest({ url: 'x' })).toBe(false);
    expect(isItem(null)).toBe(false);
  });
});

describe('CrawlResponse', () => {
  it('selects with CSS through cheerio', () => {
    const res = response(crawlMeta());
    expect(res.css('title').text()).toBe('The Daily Herald \u2014 News, Sport and Weather');
    expect(res.css('nav.primary a').length).toBe(13);
    expect(res.$('map area').first().attr('href')).toBe('/regions/north/');
    expect(res.css('nav.primary a').first().prop('href')).toBe('https://www.dailyherald.test/world/');
  });

  it('decodes the body with its encoding, once', () => {
    const body = Buffer.from([0x63, 0x61, 0x66, 0xe9]); // "café" in windows-1252
    const res = new CrawlResponse({
      request: { url: 'http://a.test/', meta: {} },
      status: 200,
      body,
      encoding: 'cp1252',
    });
    expect(res.text).toBe('caf\u00e9');
    expect(res.text).toBe(res.text);
    expect(res.url).toBe('http://a.test/');
    expect(res.finalUrl).toBe('http://a.test/');
    const unknown = new CrawlResponse({
      ...res,
      request: res.request,
      body: Buffer.from('ok'),
      encoding: 'no-such',
    });
    expect(unknown.text).toBe('ok');
  });

  it('reconstructs headers with title-cased names, merging case variants', () => {
    const res = response(crawlMeta(), '', {
      'x-xss-protection': ['1'],
      p3p: ['CP="x"'],
      'Set-Cookie': ['a=1'],
      'set-cookie': ['b=2'],
    });
    expect(res.reconstructHeaders()).toEqual({
      'X-Xss-Protection': ['1'],
      P3P: ['CP="x"'],
      'Set-Cookie': ['a=1', 'b=2'],
    });
    expect(res.header('SET-COOKIE')).toBe('a=1');
  });
});

describe('loadSpiderFile', () => {
  it('loads a user spider file and runs it on a response', async () => {
    const Loaded = await loadSpiderFile(spiderFile('title-spider.ts'));
    expect(Loaded.spiderName).toBe('title');
    const spider = new Loaded({ logger: captureLogger().logger });
    const html = '<title> Page one </title><a href="/2" rel="next">next</a>';
    const out = await collect(spider, response(crawlMeta({ attrs: { a: 1 } }), html));
    const { items, requests } = split(out);
    expect(items[0]!.attrs).toEqual({ a: 1, title: 'Page one' });
    expect(requests).toHaveLength(1);
    // meta.spiderid hands the request to the wandering spider's queue.
    expect(requests[0]).toMatchObject({
      url: 'https://www.dailyherald.test/2',
      meta: { spiderid: 'wandering' },
    });
  });

  it('takes the first exported Spider subclass when there is no default export', async () => {
    const Loaded = await loadSpiderFile(spiderFile('named-export-spider.ts'));
    expect(Loaded.spiderName).toBe('counting');
    const out = await collect(new Loaded({ logger: captureLogger().logger }), response(crawlMeta()));
    expect((out[0] as CrawlItem).attrs).toEqual({ links: extractLinks(page, PAGE_URL).length });
  });

  it('explains what is wrong with an unusable file', async () => {
    await expect(loadSpiderFile(spiderFile('no-name-spider.ts'))).rejects.toThrow(/has no spiderName/);
    await expect(loadSpiderFile(spiderFile('no-parse-spider.ts'))).rejects.toThrow(
      /has no parse\(response\)/,
    );
    await expect(loadSpiderFile(spiderFile('missing.ts'))).rejects.toThrow(/cannot be read/);
    await expect(
      loadSpiderFile(fileURLToPath(new URL('../fixtures/pages/news-front.html', import.meta.url))),
    ).rejects.toThrow(BadInputError);
  });

  it('resolves --spider values: built-in names or paths', async () => {
    expect(await resolveSpider('link')).toBe(LinkSpider);
    expect(await resolveSpider('wandering')).toBe(WanderingSpider);
    expect((await resolveSpider(spiderFile('title-spider.ts'))).spiderName).toBe('title');
    await expect(resolveSpider('nosuch')).rejects.toThrow(/unknown spider 'nosuch'/);
    await expect(resolveSpider('toString')).rejects.toThrow(BadInputError);
  });
});
