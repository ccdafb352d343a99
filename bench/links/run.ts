/**
 * Link extraction speed: extractLinks (SAX scan, URL resolution, filters, canonicalization, de-duplication)
 * against a bare htmlparser2 SAX loop that only collects `<a>`/`<area>` hrefs, measured in the same run.
 *
 *   npx tsx bench/links/run.ts [--seconds 2]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Parser } from 'htmlparser2';
import { extractLinks } from '../../src/crawler/links/index.js';

const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1]) || 2;

/** A ~100 KB page with 600 links: articles, fragments, tracking queries, assets, other hosts. */
function syntheticPage(): string {
  const parts = ['<!DOCTYPE html><html><head><title>Bench</title><base href="/news/"></head><body>'];
  for (let i = 0; i < 150; i++) {
    const path = `/2026/11/section-${i % 9}/story-number-${i}.html`;
    parts.push(
      `<article><h3><a href="${path}?utm_source=home&amp;utm_medium=teaser">Story ${i}: a headline of some length</a></h3>`,
      `<p>${'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor. '.repeat(5)}</p>`,
      `<a href="${path}#comments">${i * 3} comments</a> <a href="../authors/a${i % 40}/">Author ${i % 40}</a>`,
      `<a href="${i % 2 ? `https://cdn${i % 3}.example.test/img/${i}.jpg` : `https://sub${i % 5}.example.test/p/${i}`}">x</a></article>`,
    );
  }
  parts.push('</body></html>');
  return parts.join('\n');
}

function baseline(html: string): string[] {
  const hrefs: string[] = [];
  const parser = new Parser({
    onopentag(name, attribs) {
      if ((name === 'a' || name === 'area') && attribs.href !== undefined) hrefs.push(attribs.href);
    },
  });
  parser.end(html);
  return hrefs;
}

/** Pages per second over `seconds`, after a warm-up. */
function rate(fn: () => unknown, budgetMs: number): number {
  for (let i = 0; i < 50; i++) fn();
  let pages = 0;
  const start = performance.now();
  let now = start;
  while (now - start < budgetMs) {
    for (let i = 0; i < 20; i++) fn();
    pages += 20;
    now = performance.now();
  }
  return (pages * 1000) / (now - start);
}

const fixture = fileURLToPath(new URL('../../test/fixtures/pages/news-front.html', import.meta.url));
const pages = [
  { name: 'synthetic', html: syntheticPage(), url: 'https://www.example.test/' },
  { name: 'news-front fixture', html: readFileSync(fixture, 'utf8'), url: 'https://www.dailyherald.test/' },
];

console.log(`node ${process.version}, ${seconds}s per measurement, interleaved, best of 3 rounds\n`);
for (const page of pages) {
  const kb = Buffer.byteLength(page.html) / 1024;
  const hrefs = baseline(page.html).length;
  const links = extractLinks(page.html, page.url).length;
  let base = 0;
  let full = 0;
  for (let round = 0; round < 3; round++) {
    base = Math.max(
      base,
      rate(() => baseline(page.html), (seconds * 1000) / 3),
    );
    full = Math.max(
      full,
      rate(() => extractLinks(page.html, page.url), (seconds * 1000) / 3),
    );
  }
  console.log(
    `${page.name}: ${kb.toFixed(0)} KB, ${hrefs} hrefs, ${links} links after filtering and de-duplication`,
  );
  console.log(`  baseline SAX loop: ${base.toFixed(0)} pages/s (${(1000 / base).toFixed(2)} ms/page)`);
  console.log(`  extractLinks:      ${full.toFixed(0)} pages/s (${(1000 / full).toFixed(2)} ms/page)`);
  console.log(`  ratio: ${(full / base).toFixed(2)} of the baseline\n`);
}
