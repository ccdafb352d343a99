import { describe, expect, it } from 'vitest';
import { refererFor, withoutHopByHop } from '../../src/crawler/spider/headers.js';
import { CrawlResponse, LinkSpider } from '../../src/crawler/spider/index.js';

describe('Referer on follow-up requests (Scrapy RefererMiddleware, no-referrer-when-downgrade)', () => {
  it('names the page without credentials and fragment', () => {
    expect(refererFor('http://u:p@d0.test:81/a?q=1#frag', 'http://d1.test/b')).toBe(
      'http://d0.test:81/a?q=1',
    );
    expect(refererFor('https://d0.test/a', 'https://d1.test/b')).toBe('https://d0.test/a');
    expect(refererFor('http://d0.test/a', 'https://d0.test/b')).toBe('http://d0.test/a');
  });

  it('sends none from https to http, nor for other schemes', () => {
    expect(refererFor('https://d0.test/a', 'http://d0.test/b')).toBeUndefined();
    expect(refererFor('ftp://d0.test/a', 'http://d0.test/b')).toBeUndefined();
    expect(refererFor('http://d0.test/a', 'ftp://d0.test/b')).toBeUndefined();
  });

  it('gives each page its own answer when pages alternate (the last page is kept), for any scheme case', () => {
    const pages = ['https://a.test/1', 'http://u:p@b.test/2#f', 'not a url', 'ftp://c.test/3'];
    const links = [
      'http://x.test/',
      'https://x.test/',
      'HTTPS://x.test/',
      ' http://x.test/',
      'mailto:a@x.test',
    ];
    const got = pages.flatMap((page) => links.map((link) => refererFor(page, link)));
    const again = links.flatMap((link) => pages.map((page) => refererFor(page, link)));
    expect(got).toEqual([
      ...[undefined, 'https://a.test/1', 'https://a.test/1', undefined, undefined],
      ...['http://b.test/2', 'http://b.test/2', 'http://b.test/2', 'http://b.test/2', undefined],
      ...[undefined, undefined, undefined, undefined, undefined],
      ...[undefined, undefined, undefined, undefined, undefined],
    ]);
    // The same answers in another order.
    expect(again).toEqual(links.flatMap((_, l) => pages.map((__, p) => got[p * links.length + l])));
  });

  it('is set by follow from the final URL unless the spider gives its own', () => {
    const spider = new LinkSpider({});
    const response = new CrawlResponse({
      request: { url: 'http://d0.test/start', meta: { crawlid: 'abc', appid: 'app' } },
      finalUrl: 'http://d0.test/landed#x',
      status: 200,
      body: Buffer.from('<html></html>'),
    });
    expect(spider.follow(response, '/next').headers).toEqual({ Referer: 'http://d0.test/landed' });
    expect(spider.follow(response, '/next', {}, { headers: { referer: 'mine' } }).headers).toEqual({
      referer: 'mine',
    });
  });
});

describe('hop-by-hop response headers', () => {
  it('are dropped from response_headers, end-to-end ones kept', () => {
    expect(
      withoutHopByHop({
        'Content-Type': ['text/html'],
        Connection: ['keep-alive'],
        'Keep-Alive': ['timeout=5'],
        'Transfer-Encoding': ['chunked'],
        'Proxy-Authenticate': ['Basic'],
        'Proxy-Connection': ['close'],
        Te: ['trailers'],
        Trailer: ['Expires'],
        Upgrade: ['h2c'],
        'Set-Cookie': ['a=1', 'b=2'],
      }),
    ).toEqual({ 'Content-Type': ['text/html'], 'Set-Cookie': ['a=1', 'b=2'] });
  });

  it('are not in the crawled item a spider builds', () => {
    const spider = new LinkSpider({});
    const response = new CrawlResponse({
      request: { url: 'http://d0.test/', meta: { crawlid: 'abc', appid: 'app' } },
      status: 200,
      headers: { 'content-type': ['text/html'], connection: ['keep-alive'], 'keep-alive': ['timeout=5'] },
      body: Buffer.from('<html></html>'),
    });
    expect(spider.buildItem(response).response_headers).toEqual({ 'Content-Type': ['text/html'] });
  });
});
