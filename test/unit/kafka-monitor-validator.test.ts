import { describe, expect, it } from 'vitest';
import { SchemaValidator } from '../../src/core/wire/validator.js';
import { loadBuiltInSchema } from '../../src/core/wire/schemas.js';

const scraper = new SchemaValidator(loadBuiltInSchema('scraper_schema.json'));

describe('SchemaValidator', () => {
  it('fills defaults after the request keys, in schema order', () => {
    const r = scraper.validate({ url: 'http://a.com', crawlid: 'c1', appid: 'app' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(Object.keys(r.value)).toEqual([
      'url',
      'crawlid',
      'appid',
      'spiderid',
      'priority',
      'maxdepth',
      'domain_max_pages',
      'allowed_domains',
      'allow_regex',
      'deny_regex',
      'deny_extensions',
      'expires',
      'useragent',
      'cookie',
      'attrs',
    ]);
    expect(r.value).toMatchObject({ spiderid: 'link', priority: 1, maxdepth: 0, expires: 0, attrs: null });
  });

  it('names the field and what it must be in every error', () => {
    const u = 'http://example.com/';
    const cases: [unknown, string][] = [
      [{ url: u, crawlid: 'c', appid: 'app', otherkey: 1 }, 'otherkey: is not a known field'],
      [{ crawlid: 'c', appid: 'app' }, 'url: is required'],
      [
        { url: u, crawlid: 'c', appid: 'ap' },
        'appid: must be a string of 3 to 40 characters without \':\', got "ap"',
      ],
      [
        { url: u, crawlid: 'c', appid: 'app', priority: 101 },
        'priority: must be an integer from 1 to 100, got 101',
      ],
      [
        { url: u, crawlid: 'c', appid: 'app', maxdepth: 'x' },
        'maxdepth: must be an integer from 0 to 3, got "x"',
      ],
      [
        { url: u, crawlid: 'c', appid: 'a:pp' },
        'appid: must be a string of 3 to 40 characters without \':\', got "a:pp"',
      ],
      [
        { url: u, crawlid: 'c', appid: 'app', allowed_domains: ['a', 1] },
        'allowed_domains[1]: must be a string, got 1',
      ],
      [
        { url: u, crawlid: 'c', appid: 'app', allowed_domains: ['a', 'a'] },
        'allowed_domains: must not repeat items, got ["a","a"]',
      ],
      ['hello', 'request: must be an object, got "hello"'],
    ];
    for (const [request, message] of cases)
      expect(scraper.validate(request)).toEqual({ ok: false, error: message });
  });

  it('refuses a url that is not an absolute http(s) URL', () => {
    for (const url of [
      'not a url',
      'www.example.com/x',
      'ftp://example.com/',
      'http://',
      'javascript:alert(1)',
      '',
    ])
      expect(scraper.validate({ url, crawlid: 'c', appid: 'app' })).toEqual({
        ok: false,
        error: `url: must be an absolute http(s) URL, got ${JSON.stringify(url)}`,
      });
    for (const url of [
      'http://example.com',
      'HTTPS://Example.COM:8443/a?b#c',
      'http://[::1]:8080/',
      'http://u:p@h.test/',
    ])
      expect(scraper.validate({ url, crawlid: 'c', appid: 'app' }).ok).toBe(true);
  });

  it('does not touch the caller object', () => {
    const request = { url: 'http://u.test/', crawlid: 'c', appid: 'app', attrs: { a: 1 } };
    const r = scraper.validate(request);
    expect(r.ok).toBe(true);
    expect(r.ok && r.value.attrs).not.toBe(request.attrs);
    expect(Object.keys(request)).toHaveLength(4);
  });
});
