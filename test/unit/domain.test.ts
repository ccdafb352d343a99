import { describe, expect, it } from 'vitest';
import { parseCrawlUrl, registeredDomain, tldextractDomain } from '../../src/core/domain.js';
import { domainOfQueue, redisKeys } from '../../src/core/wire/keys.js';
import { queueDomain } from '../../src/redis-monitor/crawl/queues.js';
import { KAFKA_MONITOR_DEFAULTS, CRAWLER_DEFAULTS } from '../../src/settings.js';

/** url → [normalized (default), tldextract (the original's `{domain}.{suffix}`)] */
const CASES: [string, string, string][] = [
  ['http://www.bbc.co.uk/news', 'bbc.co.uk', 'bbc.co.uk'],
  ['http://www.example.co.uk/', 'example.co.uk', 'example.co.uk'],
  ['www.stuff.com/path', 'stuff.com', 'stuff.com'],
  ['http://foo.github.io/', 'github.io', 'github.io'],
  ['http://d0.test/', 'd0.test', 'test.'],
  ['http://intranet.corp/x', 'intranet.corp', 'corp.'],
  ['http://Sub.Example.COM/', 'example.com', 'Example.COM'],
  ['http://münchen.de/', 'xn--mnchen-3ya.de', 'münchen.de'],
  ['http://xn--mnchen-3ya.de/', 'xn--mnchen-3ya.de', 'xn--mnchen-3ya.de'],
  ['http://localhost/', 'localhost', 'localhost.'],
  ['http://localhost:8080/a', 'localhost', 'localhost.'],
  ['http://127.0.0.1:8000/', '127.0.0.1', '127.0.0.1.'],
  ['http://[::1]:8080/', '[--1]', '[.'],
  ['http://[2001:db8::1]/', '[2001-db8--1]', '[2001.'],
  ['http://www.example.com./', 'example.com', 'example.com'],
  ['http://www.example.com:8443/x', 'example.com', 'example.com'],
  ['http://user:pass@www.example.com:81/', 'example.com', 'example.com'],
  ['http://a.b.kawasaki.jp/', 'a.b.kawasaki.jp', 'a.b.kawasaki.jp'],
];

describe('registeredDomain', () => {
  it.each(CASES)('%s → %s (normalized), %s (tldextract)', (url, normalized, tldextract) => {
    expect(registeredDomain(url)).toBe(normalized);
    expect(registeredDomain(url, 'normalized')).toBe(normalized);
    expect(registeredDomain(url, 'tldextract')).toBe(tldextract);
    expect(tldextractDomain(url)).toBe(tldextract);
  });

  it('gives every host a queue key whose domain field the crawler and the Redis Monitor read back', () => {
    for (const [url] of CASES)
      for (const style of ['normalized', 'tldextract'] as const) {
        const domain = registeredDomain(url, style)!;
        const key = redisKeys.queue('link', domain);
        expect(key.split(':')).toHaveLength(3);
        expect(domainOfQueue(key)).toBe(domain);
        expect(queueDomain(key)).toBe(domain);
      }
  });

  it('defaults to the normalized style in every component', () => {
    expect(KAFKA_MONITOR_DEFAULTS.DOMAIN_KEYS).toBe('normalized');
    expect(CRAWLER_DEFAULTS.DOMAIN_KEYS).toBe('normalized');
  });

  it('rejects what cannot be a URL', () => {
    expect(parseCrawlUrl('http://exa mple.com')).toBeNull();
    expect(registeredDomain('http://')).toBeNull();
    expect(registeredDomain('http://', 'tldextract')).toBeNull();
  });
});
