import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BadInputError } from '../../src/core/errors.js';
import { BadPatternError } from '../../src/core/user-regex.js';
import {
  compileLinkFilter,
  extractLinks,
  IGNORED_EXTENSIONS,
  MAX_PATTERN_LENGTH,
  MAX_PATTERNS,
  pathExtension,
  type LinkFilterOptions,
} from '../../src/crawler/links/index.js';

const page = readFileSync(new URL('../fixtures/pages/news-front.html', import.meta.url));

interface ScrapyCase {
  options: {
    allowed_domains?: string[];
    allow_regex?: string[];
    deny_regex?: string[];
    deny_extensions?: string[];
  };
  indexes: number[];
}
const scrapy = JSON.parse(
  readFileSync(new URL('../fixtures/pages/news-front.scrapy-links.json', import.meta.url), 'utf8'),
) as { pageUrl: string; links: { url: string; text: string }[]; cases: Record<string, ScrapyCase> };
const PAGE_URL = scrapy.pageUrl;

const collapse = (s: string) => s.replace(/[ \t\n\f\r]+/g, ' ').replace(/^ | $/g, '');
const urls = (html: string | Buffer, options?: LinkFilterOptions, base = 'https://site.test/dir/page.html') =>
  extractLinks(html, base, options).map((l) => l.url);

describe('extractLinks on a saved news front page', () => {
  const unfiltered = extractLinks(page, PAGE_URL, { denyExtensions: [] });
  const byDefault = extractLinks(page, PAGE_URL);

  it('finds hundreds of links among the duplicates', () => {
    expect(unfiltered.length).toBeGreaterThan(300);
    expect(new Set(unfiltered.map((l) => l.url)).size).toBe(unfiltered.length);
  });

  it.each(Object.entries(scrapy.cases))('%s: the links Scrapy 1.5 extracts, in its order', (_name, c) => {
    const links = extractLinks(page, PAGE_URL, {
      allowDomains: c.options.allowed_domains,
      allow: c.options.allow_regex,
      deny: c.options.deny_regex,
      denyExtensions: c.options.deny_extensions,
    });
    const expected = c.indexes.map((i) => scrapy.links[i]!);
    expect(links.map((l) => l.url)).toEqual(expected.map((l) => l.url));
    // Scrapy keeps the source whitespace in link text; ours is collapsed.
    expect(links.map((l) => l.text)).toEqual(expected.map((l) => collapse(l.text)));
  });

  it('each filter reduces the count', () => {
    const count = (options: LinkFilterOptions) => extractLinks(page, PAGE_URL, options).length;
    expect(byDefault.length).toBeLessThan(unfiltered.length);
    expect(count({ allowDomains: ['dailyherald.test'] })).toBeLessThan(byDefault.length);
    expect(count({ allowDomains: ['weather.dailyherald.test'] })).toBeLessThan(
      count({ allowDomains: ['dailyherald.test'] }),
    );
    expect(count({ allow: ['/2026/11/'] })).toBeLessThan(byDefault.length);
    expect(count({ deny: ['/2026/11/'] })).toBeLessThan(byDefault.length);
    expect(count({ denyExtensions: ['html'] })).toBeLessThan(unfiltered.length);
  });

  it('resolves against the first <base href>, ignoring links in scripts, styles and comments', () => {
    const found = unfiltered.map((l) => l.url);
    expect(found).toContain('https://www.dailyherald.test/news/letters.html');
    expect(found).toContain('https://www.dailyherald.test/opinion/editorial.html');
    expect(found).toContain('https://www.dailyherald.test/news/?page=2');
    expect(found.some((u) => u.includes('elsewhere.test'))).toBe(false);
    expect(found.some((u) => /fake|commented-out/.test(u))).toBe(false);
  });

  it('keeps only http(s) links', () => {
    expect(unfiltered.every((l) => /^https?:\/\//.test(l.url))).toBe(true);
  });

  it('takes <area href> and keeps the first text of a duplicate', () => {
    expect(unfiltered.find((l) => l.url === 'https://www.dailyherald.test/regions/north/')).toEqual({
      url: 'https://www.dailyherald.test/regions/north/',
      text: '',
    });
    expect(unfiltered.find((l) => l.url === 'https://www.dailyherald.test/about/')?.text).toBe('About us');
  });

  it('applies the default IGNORED_EXTENSIONS when deny_extensions is null', () => {
    const found = byDefault.map((l) => l.url);
    expect(found.some((u) => /\.(pdf|jpg|png|zip|mp4|docx)(;|$)/i.test(u))).toBe(false);
    expect(found).toContain('https://www.dailyherald.test/feeds/world.xml');
    expect(found).toContain('https://www.dailyherald.test/files/data.tar.gz');
  });
});

describe('extractLinks details', () => {
  it('canonicalizes and de-duplicates by canonical URL, first occurrence first', () => {
    const html = `
      <a href="/p?b=2&amp;a=1#x">first</a>
      <a href="/p?a=1&b=2">second</a>
      <a href="/p?a=1&b=2#y">third</a>
      <a href="/q">q</a>`;
    expect(extractLinks(html, 'https://site.test/')).toEqual([
      { url: 'https://site.test/p?a=1&b=2', text: 'first' },
      { url: 'https://site.test/q', text: 'q' },
    ]);
  });

  it('strips whitespace around hrefs and drops newlines inside them', () => {
    expect(urls('<a href="  \n/a b\n ">x</a><a href="/c\nd">y</a>')).toEqual([
      'https://site.test/a%20b',
      'https://site.test/cd',
    ]);
  });

  it('collapses the whitespace of link text, nested elements included', () => {
    const links = extractLinks(
      '<a href="/x">\n  <span>Live:</span>\n\t<b>Markets</b>  rally </a>',
      'https://s.test/',
    );
    expect(links[0]?.text).toBe('Live: Markets rally');
  });

  it('keeps no-break spaces in link text', () => {
    expect(extractLinks('<a href="/k">\n 10&nbsp;km  run </a>', 'https://s.test/')[0]?.text).toBe(
      '10\u00a0km run',
    );
  });

  it('resolves a relative <base href> against the page and uses only the first base', () => {
    const html = '<base href="/root/"><base href="https://other.test/"><a href="x.html">x</a>';
    expect(urls(html)).toEqual(['https://site.test/root/x.html']);
    expect(urls('<base target="_blank"><base href="/b/"><a href="x">x</a>')).toEqual([
      'https://site.test/b/x',
    ]);
  });

  it('uses the page URL when there is no base, and a base after the links still counts', () => {
    expect(urls('<a href="x">x</a>')).toEqual(['https://site.test/dir/x']);
    expect(urls('<a href="x">x</a><base href="/late/">')).toEqual(['https://site.test/late/x']);
  });

  it('skips javascript:, mailto:, tel:, data: and ftp: links, and anchors without href', () => {
    const html = `<a href="javascript:void(0)">j</a><a href="mailto:a@b.test">m</a><a href="tel:1">t</a>
      <a href="data:text/html,x">d</a><a href="ftp://f.test/">f</a><a name="top">n</a><a href="/ok">ok</a>`;
    expect(urls(html)).toEqual(['https://site.test/ok']);
  });

  it('links the page itself for href="" and href="#"', () => {
    expect(urls('<a href="">a</a><a href="#">b</a>')).toEqual(['https://site.test/dir/page.html']);
  });

  it('reads markup as browsers do: nested anchors, RCDATA elements, foreign content', () => {
    const html = `<title>T <a href="/in-title">t</a></title>
      <a href="/outer">Outer <a href="/inner">Inner</a> tail</a>
      <textarea><a href="/in-textarea">ta</a></textarea>
      <noscript><a href="/in-noscript">ns</a></noscript>
      <svg><a href="/in-svg"><text>svg link</text></a></svg>
      <a href="/first" href="/second">dup</a>
      <a href="/ent?a=1&copy=2&amp;b=3">entities</a>`;
    expect(extractLinks(html, 'https://s.test/')).toEqual([
      { url: 'https://s.test/outer', text: 'Outer' },
      { url: 'https://s.test/inner', text: 'Inner' },
      { url: 'https://s.test/in-noscript', text: 'ns' },
      { url: 'https://s.test/in-svg', text: 'svg link' },
      { url: 'https://s.test/first', text: 'dup' },
      { url: 'https://s.test/ent?a=1&b=3&copy=2', text: 'entities' },
    ]);
  });

  it('accepts an upper-case scheme and drops hrefs that cannot be URLs', () => {
    expect(urls('<a href="HTTP://Example.TEST/caps">a</a><a href="http://exa mple.test/">b</a>')).toEqual([
      'http://example.test/caps',
    ]);
  });

  it('decodes a Buffer with the given encoding', () => {
    const latin1 = Buffer.from('<a href="/caf\u00e9">Caf\u00e9</a>', 'latin1');
    expect(extractLinks(latin1, 'https://s.test/', { encoding: 'windows-1252' })).toEqual([
      { url: 'https://s.test/caf%C3%A9', text: 'Caf\u00e9' },
    ]);
  });

  it('returns nothing for a page URL that cannot be parsed', () => {
    expect(extractLinks('<a href="/x">x</a>', 'not a url')).toEqual([]);
  });
});

describe('link filters', () => {
  const html = [
    'https://example.test/a',
    'https://www.example.test:8080/b',
    'https://notexample.test/c',
    'https://xn--bcher-kva.test/d',
    'https://cdn.example.test/e.PDF',
    'https://example.test/f.pdf;jsessionid=1',
    'https://example.test/.hidden',
  ]
    .map((u) => `<a href="${u}">x</a>`)
    .join('');

  it('allow_domains matches the host and its subdomains, whatever the port or case', () => {
    expect(urls(html, { allowDomains: ['Example.test'], denyExtensions: [] })).toEqual([
      'https://example.test/a',
      'https://www.example.test:8080/b',
      'https://cdn.example.test/e.PDF',
      'https://example.test/f.pdf;jsessionid=1',
      'https://example.test/.hidden',
    ]);
    expect(urls(html, { allowDomains: 'bücher.test' })).toEqual(['https://xn--bcher-kva.test/d']);
  });

  it('deny wins over allow', () => {
    expect(urls(html, { allow: ['example'], deny: ['www\\.'], denyExtensions: [] })).toEqual([
      'https://example.test/a',
      'https://notexample.test/c',
      'https://cdn.example.test/e.PDF',
      'https://example.test/f.pdf;jsessionid=1',
      'https://example.test/.hidden',
    ]);
  });

  it('deny_extensions compares case-insensitively, ignores ;params and accepts a leading dot', () => {
    expect(urls(html)).toHaveLength(5);
    expect(urls(html, { denyExtensions: ['.PDF'] })).toEqual(urls(html));
    expect(urls(html, { denyExtensions: ['hidden'] })).toHaveLength(7);
  });

  it('finds the extension as Python splitext does', () => {
    expect(pathExtension('/a/b.tar.gz')).toBe('gz');
    expect(pathExtension('/a/.bashrc')).toBe('');
    expect(pathExtension('/a/..pdf')).toBe('');
    expect(pathExtension('/a.b/c')).toBe('');
    expect(pathExtension('/a/x.JPG;v=1')).toBe('jpg');
    expect(IGNORED_EXTENSIONS).toHaveLength(57);
  });

  it('compiles each option set once', () => {
    const options = { allow: ['a+b'], deny: ['c'], allowDomains: ['x.test'] };
    expect(compileLinkFilter(options)).toBe(compileLinkFilter({ ...options }));
    expect(compileLinkFilter(options)).not.toBe(compileLinkFilter({ ...options, denyExtensions: [] }));
  });
});

describe('user regexes on RE2', () => {
  it('refuses a backreference or lookahead with a bad-regex failure (SC_BAD_INPUT) naming the pattern', () => {
    expect(() => compileLinkFilter({ allow: ['(a)\\1'] })).toThrow(BadPatternError);
    expect(() => compileLinkFilter({ allow: ['(a)\\1'] })).toThrow(/allow_regex: pattern "\(a\)\\\\1"/);
    expect(() => compileLinkFilter({ deny: ['foo(?=bar)'] })).toThrow(/deny_regex: pattern "foo\(\?=bar\)"/);
    expect(() => extractLinks('<a href="/x">x</a>', 'https://s.test/', { deny: ['['] })).toThrow(
      BadPatternError,
    );
  });

  it('caps the number and length of patterns', () => {
    const many = Array.from({ length: MAX_PATTERNS + 1 }, (_, i) => `p${i}`);
    expect(() => compileLinkFilter({ allow: many })).toThrow(/at most 100/);
    expect(() => compileLinkFilter({ deny: ['a'.repeat(MAX_PATTERN_LENGTH + 1)] })).toThrow(/at most 1000/);
    expect(() =>
      compileLinkFilter({ allow: Array.from({ length: MAX_PATTERNS }, (_, i) => `q${i}`) }),
    ).not.toThrow();
  });

  it('refuses lists that are not lists of strings', () => {
    expect(() => compileLinkFilter({ allowDomains: [1] as unknown as string[] })).toThrow(BadInputError);
    expect(() => compileLinkFilter({ deny: { a: 1 } as unknown as string[] })).toThrow(/deny_regex/);
  });

  it('accepts Python-style named groups and inline flags', () => {
    expect(urls('<a href="/News/x">x</a>', { allow: ['(?P<s>(?i)/news/)'] })).toEqual([
      'https://site.test/News/x',
    ]);
  });

  it('runs a catastrophic-backtracking pattern in linear time', () => {
    const longPath = `/${'a'.repeat(50_000)}!`;
    const start = performance.now();
    const found = urls(`<a href="${longPath}">x</a><a href="/aaaa">y</a>`, { deny: ['(a+)+$'] });
    expect(performance.now() - start).toBeLessThan(500);
    expect(found).toEqual([`https://site.test${longPath}`]);
  });
});
