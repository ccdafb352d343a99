import { describe, expect, it } from 'vitest';
import { requestFingerprint } from '../../src/crawler/links/index.js';

// Fingerprints Scrapy 1.5.0's request_fingerprint gives on Python 3.6 (w3lib 1.19.0), for comparison.
const SCRAPY_FINGERPRINTS: [{ url: string; method?: string; body?: string }, string][] = [
  [{ url: 'http://www.example.com/' }, '818492beabce92630298c5cc9d88fbe69a26be47'],
  [{ url: 'http://www.example.com/do?b=2&a=1#frag' }, 'c9fc6334e8f546b0ca2ee5f922958b5ad4e88aa4'],
  [{ url: 'http://www.example.com/do?a=1&b=2' }, 'c9fc6334e8f546b0ca2ee5f922958b5ad4e88aa4'],
  [
    { url: 'https://www.dailyherald.test/2026/11/world/story.html?utm_source=home&utm_medium=lead' },
    '770ba442ed91ec859252322c8c33bfe4527ad8bd',
  ],
  [{ url: 'http://www.example.com/résumé?q=résumé' }, '5da06dd4cc83f2c48edf110be9f475568c615397'],
  [
    { url: 'http://www.example.com/', method: 'POST', body: 'abc' },
    '344a94739237ffc583ae1a01d5647cad0c2ec475',
  ],
  [
    { url: 'http://www.example.com/', method: 'POST', body: 'héllo' },
    'd2fa3b72603baf9e3ad4ee26c5b88c432f1ac0a7',
  ],
  [{ url: 'http://www.example.com/~user/?t=~' }, '98c11f422b87f57adec2f163cc4ca0a52fdd6938'],
];

describe('requestFingerprint', () => {
  it.each(SCRAPY_FINGERPRINTS)('%o matches Scrapy', (request, expected) => {
    expect(requestFingerprint(request)).toBe(expected);
  });

  it('ignores the fragment and query order but not the method or body', () => {
    const base = requestFingerprint({ url: 'http://x.test/p?a=1&b=2' });
    expect(requestFingerprint({ url: 'http://X.test/p?b=2&a=1#top' })).toBe(base);
    expect(requestFingerprint({ url: 'http://x.test/p?a=1&b=2', method: 'get' })).toBe(base);
    expect(requestFingerprint({ url: 'http://x.test/p?a=1&b=2', method: 'POST' })).not.toBe(base);
    expect(requestFingerprint({ url: 'http://x.test/p?a=1&b=2', body: 'x' })).not.toBe(base);
  });

  it('treats a string body as its UTF-8 bytes and an empty body as none', () => {
    const url = 'http://x.test/';
    expect(requestFingerprint({ url, body: 'héllo' })).toBe(
      requestFingerprint({ url, body: Buffer.from('héllo') }),
    );
    expect(requestFingerprint({ url, body: '' })).toBe(requestFingerprint({ url }));
    expect(requestFingerprint({ url, body: null })).toBe(requestFingerprint({ url }));
  });

  it('is a 40-character lower-case hex SHA1', () => {
    expect(requestFingerprint({ url: 'https://a.test/' })).toMatch(/^[0-9a-f]{40}$/);
  });
});
