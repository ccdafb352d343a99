/**
 * The optional members of a crawl request beyond the original's schema (headers, method, body, proxy):
 * validated with clear errors, turned into the seed request by the wire codec, and absent from the
 * queue member of a request that does not use them (byte for byte what the original writes).
 */
import { describe, expect, it } from 'vitest';
import { apiSchema } from '../../src/core/wire/schemas.js';
import { decodeMember } from '../../src/core/wire/request-codec.js';
import { safePayload } from '../../src/core/logging/index.js';
import { SchemaValidator } from '../../src/core/wire/validator.js';

const scraper = new SchemaValidator(apiSchema('ScraperHandler'));
const base = { url: 'http://a.test/form', appid: 'app', crawlid: 'c1' };

describe('seed headers, method, body and proxy', () => {
  it('accepts a POST seed with headers, a body and a proxy, and decodes it into the request', () => {
    const request = {
      ...base,
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Token': 'abc' },
      body: 'q=crawl&page=2',
      proxy: 'http://proxy.test:3128',
    };
    const verdict = scraper.validate(request);
    expect(verdict.ok).toBe(true);
    const decoded = decodeMember(JSON.stringify(verdict.ok ? verdict.value : null));
    expect(decoded).toMatchObject({
      url: 'http://a.test/form',
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Token': 'abc' },
      body: 'q=crawl&page=2',
    });
    expect(decoded.meta.proxy).toBe('http://proxy.test:3128');
    expect(Object.keys(decoded.meta)).not.toContain('body');
    expect(Object.keys(decoded.meta)).not.toContain('headers');
    expect(Object.keys(decoded.meta)).not.toContain('method');
  });

  it('leaves the queue member of a request without them as the original writes it', () => {
    const verdict = scraper.validate(base);
    expect(verdict.ok && JSON.stringify(verdict.value)).toBe(
      '{"url":"http://a.test/form","appid":"app","crawlid":"c1","spiderid":"link","priority":1,"maxdepth":0,' +
        '"domain_max_pages":null,"allowed_domains":null,"allow_regex":null,"deny_regex":null,' +
        '"deny_extensions":null,"expires":0,"useragent":null,"cookie":null,"attrs":null}',
    );
    expect(decodeMember(JSON.stringify(verdict.ok ? verdict.value : null))).toMatchObject({
      method: 'GET',
      headers: {},
      body: '',
    });
  });

  it.each([
    [{ method: 'BREW' }, /method/],
    [{ body: 'x' }, /^body: a GET request takes no body/],
    [{ method: 'HEAD', body: 'x' }, /^body: a HEAD request takes no body/],
    [{ method: 'POST', body: 'x'.repeat(100_001) }, /body/],
    [{ headers: { Host: 'evil.test' } }, /^headers: Host is set by the crawler/],
    [{ headers: { 'content-length': '5' } }, /^headers: content-length is set by the crawler/],
    [{ headers: { 'Bad Name': 'x' } }, /headers/],
    [{ headers: { 'X-Split': 'a\r\nInjected: 1' } }, /headers/],
    [{ headers: { 'X-Number': 5 } }, /headers/],
    [{ headers: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`X-${i}`, 'v'])) }, /headers/],
    [{ proxy: 'socks5://p.test:1080' }, /proxy/],
    [{ proxy: 'x'.repeat(3000) }, /proxy/],
  ])('refuses %j with a clear error', (extra, error) => {
    const verdict = scraper.validate({ ...base, ...extra });
    expect(verdict.ok).toBe(false);
    expect(verdict.ok ? '' : verdict.error).toMatch(error);
  });
});

describe('logging a request with a proxy', () => {
  it('hides the password of a proxy URL', () => {
    const shown = safePayload({ url: 'http://a.test/', proxy: 'http://crawler:pw-123@proxy.test:3128' });
    expect(JSON.stringify(shown)).not.toContain('pw-123');
    expect(shown).toMatchObject({ proxy: 'http://crawler:[redacted]@proxy.test:3128' });
  });
});
