import { describe, expect, it } from 'vitest';
import type { CrawlResult } from '../../src/crawler/pipeline/item.js';
import { crawlMessage, pythonUtcIso, sortedJson } from '../../src/crawler/pipeline/message.js';

// The encoding before the one-pass writer: a sorted deep copy, then JSON.stringify. The new writer must
// give the same bytes for every value, quirks included.
function referenceSortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(referenceSortKeys);
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort())
      out[key] = referenceSortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

const reference = (value: unknown) => JSON.stringify(referenceSortKeys(value));

function referenceMessage(item: CrawlResult, now: Date): string {
  const datum: Record<string, unknown> = { ...item, timestamp: pythonUtcIso(now) };
  const bytes = typeof item.body === 'string' ? Buffer.from(item.body, 'utf8') : item.body;
  datum.body = bytes.toString('utf8');
  return JSON.stringify(referenceSortKeys(datum));
}

/** The text, or the error message where the encoding throws (the same inputs must throw the same way). */
function outcome(encode: () => string | undefined): string | undefined {
  try {
    return encode();
  } catch (err) {
    return `threw ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** A small seeded generator (mulberry32), so a failure can be replayed from its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = [
  'a',
  'b',
  'B',
  'url',
  'Content-Type',
  'é',
  '日本',
  '',
  ' ',
  '"q"',
  '\\',
  '\u0000',
  '\ud800',
  '0',
  '1',
  '2',
  '10',
  '01',
  '-1',
  '1.5',
  '4294967294',
  '4294967295',
  '__proto__',
  'constructor',
  'toString',
];
const STRINGS = [
  '',
  'text',
  '"quoted"',
  'back\\slash',
  'line\nbreak\t\r',
  '\u0001\u001f',
  'é日本😀',
  '\ud800x',
  '\udc00',
  '</script>',
  '\u2028\u2029',
];
const NUMBERS = [0, -0, 1, -1, 1.5, 1e21, 1e-7, 2 ** 53 + 1, NaN, Infinity, -Infinity, 123456789.125];

function generate(next: () => number, depth: number): unknown {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  const kind = Math.floor(next() * (depth > 0 ? 14 : 8));
  switch (kind) {
    case 0:
    case 1:
      return pick(STRINGS) + (next() < 0.5 ? '' : pick(STRINGS));
    case 2:
      return pick(NUMBERS);
    case 3:
      return next() < 0.5;
    case 4:
      return null;
    case 5:
      return next() < 0.5 ? undefined : () => 1;
    case 6:
      return Buffer.from(pick(STRINGS));
    case 7:
      return new Date(Math.floor(next() * 2e12));
    case 8:
    case 9: {
      const arr: unknown[] = [];
      const n = Math.floor(next() * 5);
      for (let i = 0; i < n; i++) arr.push(generate(next, depth - 1));
      if (next() < 0.2) arr[n + 1] = 'after a hole';
      return arr;
    }
    default: {
      const obj: Record<string, unknown> =
        next() < 0.1 ? (Object.create(null) as Record<string, unknown>) : {};
      const n = Math.floor(next() * 6);
      for (let i = 0; i < n; i++) {
        Object.defineProperty(obj, pick(KEYS), {
          value: generate(next, depth - 1),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      if (next() < 0.03) obj.toJSON = () => ({ replaced: true });
      return obj;
    }
  }
}

describe('crawl message encoding (one pass, no sorted copy)', () => {
  it('gives the bytes of the sorted deep copy for a table of edge cases', () => {
    const withProto = JSON.parse('{"__proto__":{"x":1},"b":2,"a":1}') as unknown;
    const cases: unknown[] = [
      {},
      [],
      { b: 1, a: 2, 10: 'ten', 2: 'two', '01': 'zero-one', B: 3 },
      withProto,
      { a: undefined, b: () => 1, c: Symbol('s'), d: null },
      [undefined, () => 1, null, NaN, -0, Infinity],
      { when: new Date(0), buf: Buffer.from('hi'), nested: [{ z: 1, y: [{ b: 1, a: 2 }] }] },
      { toJSON: () => 'custom', a: 1 },
      Object.assign(Object.create(null) as object, { b: 1, a: 2 }),
      { s: 'line\nbreak "quoted" \\ \u0000 \ud800 😀 \u2028' },
      { '4294967295': 'not an index', '4294967294': 'index', a: 1 },
      // Past 64 keys the sort is the built-in one; below, an insertion sort: both in code-unit order.
      Object.fromEntries(
        Array.from({ length: 100 }, (_, i) => [`k${(i * 37) % 100}${'ÄaZ_é😀'[i % 6]!}`, i]),
      ),
      Object.fromEntries(
        Array.from({ length: 64 }, (_, i) => [`${String.fromCharCode(0x7a - (i % 26))}${i}`, i]),
      ),
      { é: 1, e: 2, E: 3, '😀': 4, '￿': 5, '': 6, ' ': 7, 3: 'index', '-1': 'not an index' },
    ];
    for (const value of cases) expect(sortedJson(value)).toBe(reference(value));
  });

  it('gives the bytes of the sorted deep copy for 3,000 random values', () => {
    for (let seed = 1; seed <= 3000; seed++) {
      const value = generate(random(seed), 4);
      const actual = outcome(() => sortedJson(value));
      const expected = outcome(() => reference(value));
      if (actual !== expected) throw new Error(`seed ${seed}: ${String(actual)} !== ${String(expected)}`);
    }
  });

  it('gives the same crawled message as before for random items with a 30 KB body and 40 links', () => {
    const now = new Date('2016-01-05T20:14:54.653Z');
    for (let seed = 1; seed <= 200; seed++) {
      const next = random(seed);
      const links = Array.from({ length: 40 }, (_, i) => ({
        url: `http://d${seed}.test/page/${i}`,
        text: `Page "${i}"`,
      }));
      const body = `<html>${'x'.repeat(Math.floor(next() * 30_000))}${STRINGS.join('')}</html>`;
      const item: CrawlResult = {
        appid: 'app',
        crawlid: `c${seed}`,
        url: links[0]!.url,
        response_url: links[0]!.url,
        status_code: 200,
        status_msg: 'OK',
        response_headers: { 'Content-Type': ['text/html; charset=utf-8'], Date: ['x'] },
        request_headers: { Accept: ['*/*'], 'User-Agent': ['Scrapy/1.5.0'] },
        body: next() < 0.5 ? body : Buffer.from(body),
        links,
        attrs: generate(next, 3) as Record<string, unknown> | null,
        encoding: 'utf-8',
        ...(next() < 0.3 ? { meta_extra: generate(next, 3) } : {}),
      };
      const actual = outcome(() => crawlMessage(item, { base64: false, now }));
      expect(actual).toBe(outcome(() => referenceMessage(item, now)));
    }
  });
});
