import { describe, expect, it } from 'vitest';
import { parseCrawlUrl, registeredDomain } from '../../src/core/domain.js';

describe('registeredDomain', () => {
  it('uses the public suffix list as the original does', () => {
    expect(registeredDomain('http://www.bbc.co.uk/news')).toBe('bbc.co.uk');
    expect(registeredDomain('https://stuff.com')).toBe('stuff.com');
    expect(registeredDomain('www.stuff.com/path')).toBe('stuff.com');
    expect(registeredDomain('http://a.b.site1.example.test:8080/')).toBe('example.test');
    expect(registeredDomain('http://foo.github.io/')).toBe('github.io');
  });

  it('falls back to the host where there is no registered domain, without a trailing dot', () => {
    expect(registeredDomain('http://127.0.0.1:8000/')).toBe('127.0.0.1');
    expect(registeredDomain('http://localhost/')).toBe('localhost');
    expect(registeredDomain('http://[::1]:80/')).toBe('::1');
  });

  it('rejects what cannot be a URL', () => {
    expect(parseCrawlUrl('http://exa mple.com')).toBeNull();
    expect(registeredDomain('http://')).toBeNull();
  });
});
