import { describe, expect, it } from 'vitest';
import { BadInputError } from '../../src/core/errors.js';
import { canonicalizeUrl } from '../../src/crawler/links/index.js';

// Input → what w3lib 1.19.0's canonicalize_url returns for it on Python 3.6 (the original's runtime),
// checked by running w3lib. Mostly w3lib's own test cases.
const W3LIB_CASES: [string, string][] = [
  ['http://www.example.com/', 'http://www.example.com/'],
  ['http://www.example.com', 'http://www.example.com/'],
  ['http://www.example.com/do?a=1&b=2&c=3', 'http://www.example.com/do?a=1&b=2&c=3'],
  ['http://www.example.com/do?c=1&b=2&a=3', 'http://www.example.com/do?a=3&b=2&c=1'],
  ['http://www.example.com/do?&a=1', 'http://www.example.com/do?a=1'],
  ['http://www.example.com:8888/do?a=1&b=2&c=3', 'http://www.example.com:8888/do?a=1&b=2&c=3'],
  ['http://www.example.com:/do?a=1&b=2&c=3', 'http://www.example.com/do?a=1&b=2&c=3'],
  ['http://www.example.com/do?c=3&b=5&b=2&a=50', 'http://www.example.com/do?a=50&b=2&b=5&c=3'],
  ['http://www.example.com/do?b=&a=2', 'http://www.example.com/do?a=2&b='],
  ['http://www.example.com/do?b=&c&a=2', 'http://www.example.com/do?a=2&b=&c='],
  ['http://www.example.com/do?1750,4', 'http://www.example.com/do?1750%2C4='],
  ['http://www.example.com/do?q=a space&a=1', 'http://www.example.com/do?a=1&q=a+space'],
  ['http://www.example.com/do?q=a+space&a=1', 'http://www.example.com/do?a=1&q=a+space'],
  ['http://www.example.com/do?q=a%20space&a=1', 'http://www.example.com/do?a=1&q=a+space'],
  ['http://www.example.com/résumé', 'http://www.example.com/r%C3%A9sum%C3%A9'],
  ['http://www.example.com/résumé?q=résumé', 'http://www.example.com/r%C3%A9sum%C3%A9?q=r%C3%A9sum%C3%A9'],
  ['http://www.example.com/r%c3%a9sum%c3%a9', 'http://www.example.com/r%C3%A9sum%C3%A9'],
  ['http://www.example.com/a%a3do', 'http://www.example.com/a%A3do'],
  ['http://www.example.com/a%a3do?q=r%c3%a9sum%c3%a9', 'http://www.example.com/a%A3do?q=r%C3%A9sum%C3%A9'],
  ['http://www.example.com/do?k=b%a3', 'http://www.example.com/do?k=b%A3'],
  ['http://www.example.com/do?k=r%c3%a9sum%c3%a9', 'http://www.example.com/do?k=r%C3%A9sum%C3%A9'],
  ['http://www.example.com/a do?a=1', 'http://www.example.com/a%20do?a=1'],
  ['http://www.example.com/a %20do?a=1', 'http://www.example.com/a%20%20do?a=1'],
  ['http://www.example.com/a do£.html?a=1', 'http://www.example.com/a%20do%C2%A3.html?a=1'],
  ['http://www.example.com/do?price=£500&a=5&z=3', 'http://www.example.com/do?a=5&price=%C2%A3500&z=3'],
  ['http://www.example.com/do?price(£)=500&a=1', 'http://www.example.com/do?a=1&price%28%C2%A3%29=500'],
  ['http://user:pass@www.example.com:81/do?now=1', 'http://user:pass@www.example.com:81/do?now=1'],
  ['http://user:pass@www.example.com/do?a=1#frag', 'http://user:pass@www.example.com/do?a=1'],
  [
    'http://www.simplybedrooms.com/White-Bedroom-Furniture/Bedroom-Mirror:-Josephine-Cheval-Mirror.html',
    'http://www.simplybedrooms.com/White-Bedroom-Furniture/Bedroom-Mirror:-Josephine-Cheval-Mirror.html',
  ],
  ['http://www.example.com/caf%E9-con-leche.htm', 'http://www.example.com/caf%E9-con-leche.htm'],
  ['http://www.EXAMPLE.com/', 'http://www.example.com/'],
  ['http://www.bücher.de?q=bücher', 'http://www.xn--bcher-kva.de/?q=b%C3%BCcher'],
  [
    'http://はじめよう.みんな/?query=サ&maxResults=5',
    'http://xn--p8j9a0d9c9a.xn--q9jyb4c/?maxResults=5&query=%E3%82%B5',
  ],
  ['http://foo.com/AC%2FDC+rocks%3f/?yeah=1', 'http://foo.com/AC%2FDC+rocks%3F/?yeah=1'],
  ['http://foo.com/AC%2FDC/', 'http://foo.com/AC%2FDC/'],
  ['http://www.example.com/do?a=1&a=0', 'http://www.example.com/do?a=0&a=1'],
  ['http://www.example.com/x?', 'http://www.example.com/x'],
  ['http://www.example.com/~user/%7Efoo?t=%7e', 'http://www.example.com/~user/~foo?t=%7E'],
  ['http://www.example.com/p;jsessionid=AB%7e?x=1', 'http://www.example.com/p;jsessionid=AB%7e?x=1'],
  ['https://www.dailyherald.test/news/#top', 'https://www.dailyherald.test/news/'],
];

describe('canonicalizeUrl', () => {
  it.each(W3LIB_CASES)('%s gives what w3lib gives', (input, expected) => {
    expect(canonicalizeUrl(input)).toBe(expected);
  });

  it('sorts by name then value, keeping the order of equal pairs and blank values', () => {
    expect(canonicalizeUrl('http://x.test/?b=2&a=1&a=0&c=&a=0')).toBe('http://x.test/?a=0&a=0&a=1&b=2&c=');
  });

  it('splits the query on ; as well as &', () => {
    expect(canonicalizeUrl('http://x.test/?b=1;a=2')).toBe('http://x.test/?a=2&b=1');
  });

  it('decodes unreserved escapes in the path and upper-cases the others', () => {
    expect(canonicalizeUrl('http://x.test/%7euser/%41%2d%5f/%c3%a9%5e')).toBe(
      'http://x.test/~user/A-_/%C3%A9%5E',
    );
  });

  it('encodes ~ in query arguments as Python before 3.7 does', () => {
    expect(canonicalizeUrl('http://x.test/?a=~&%7e=b')).toBe('http://x.test/?a=%7E&%7E=b');
  });

  it('drops the fragment unless asked to keep it', () => {
    expect(canonicalizeUrl('http://x.test/a?b=1&a=2#frag')).toBe('http://x.test/a?a=2&b=1');
    expect(canonicalizeUrl('http://x.test/a?b=1&a=2#frag', { keepFragments: true })).toBe(
      'http://x.test/a?a=2&b=1#frag',
    );
    expect(canonicalizeUrl('http://x.test/a#', { keepFragments: true })).toBe('http://x.test/a');
  });

  it('is idempotent', () => {
    for (const [input] of W3LIB_CASES) {
      const once = canonicalizeUrl(input);
      expect(canonicalizeUrl(once)).toBe(once);
    }
  });

  describe('where it deliberately differs from w3lib', () => {
    it('removes default ports and resolves dot segments (WHATWG parsing)', () => {
      expect(canonicalizeUrl('http://x.test:80/a/./b/../c')).toBe('http://x.test/a/c');
      expect(canonicalizeUrl('https://x.test:443/')).toBe('https://x.test/');
      expect(canonicalizeUrl('https://x.test:8443/')).toBe('https://x.test:8443/');
    });

    it('keeps %25 and %23 encoded, where w3lib would change the resource named', () => {
      expect(canonicalizeUrl('http://x.test/100%25/a%23b')).toBe('http://x.test/100%25/a%23b');
    });

    it('keeps the case of user info', () => {
      expect(canonicalizeUrl('http://User:Pw@X.test/')).toBe('http://User:Pw@x.test/');
    });
  });

  it('refuses what is not an absolute URL', () => {
    expect(() => canonicalizeUrl('/relative/path')).toThrow(BadInputError);
    expect(() => canonicalizeUrl('http://exa mple.com/')).toThrow(BadInputError);
  });
});
