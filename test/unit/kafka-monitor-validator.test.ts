import { describe, expect, it } from 'vitest';
import { SchemaValidator } from '../../src/kafka-monitor/validator.js';
import { loadBuiltInSchema } from '../../src/kafka-monitor/plugins/schemas.js';

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

  it('words errors as Python jsonschema does', () => {
    const cases: [unknown, string][] = [
      [
        { url: 'u', crawlid: 'c', appid: 'app', otherkey: 1 },
        "Additional properties are not allowed ('otherkey' was unexpected)",
      ],
      [{ crawlid: 'c', appid: 'app' }, "'url' is a required property"],
      [{ url: 'u', crawlid: 'c', appid: 'ap' }, "'ap' is too short"],
      [{ url: 'u', crawlid: 'c', appid: 'app', priority: 101 }, '101 is greater than the maximum of 100'],
      [{ url: 'u', crawlid: 'c', appid: 'app', maxdepth: '1' }, "'1' is not of type 'integer'"],
      [{ url: 'u', crawlid: 'c', appid: 'a:pp' }, "'a:pp' does not match '^[^:]*$'"],
    ];
    for (const [request, message] of cases)
      expect(scraper.validate(request)).toEqual({ ok: false, error: message });
  });

  it('does not touch the caller object', () => {
    const request = { url: 'u', crawlid: 'c', appid: 'app', attrs: { a: 1 } };
    const r = scraper.validate(request);
    expect(r.ok && r.value.attrs).not.toBe(request.attrs);
    expect(Object.keys(request)).toHaveLength(4);
  });
});
