/**
 * The cheap parts of hostile-input handling: depth measured without recursion, deep requests and
 * uncompilable regexes refused with their cause, logged payloads redacted and capped.
 */
import { describe, expect, it } from 'vitest';
import { REDACTED, safePayload } from '../../src/core/logging/index.js';
import { FeedValidator } from '../../src/core/wire/feed-validator.js';
import { jsonDepth, MAX_REQUEST_DEPTH } from '../../src/core/wire/validator.js';

const crawl = { url: 'http://example.com/', appid: 'testapp', crawlid: 'crawl1' };

function nested(levels: number): unknown {
  return JSON.parse(`${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`);
}

describe('request depth', () => {
  it('is measured without recursion, even 100,000 levels deep', () => {
    expect(jsonDepth(1)).toBe(0);
    expect(jsonDepth({ a: [1, { b: 2 }] })).toBe(3);
    expect(jsonDepth(nested(100_000))).toBe(100_000);
    expect(jsonDepth(nested(100_000), 10)).toBe(11);
  });

  it('over the limit is refused with a clear error, not a stack overflow', () => {
    const result = new FeedValidator().validate({ ...crawl, attrs: nested(5000) });
    expect(result).toMatchObject({
      ok: false,
      cause: `request is nested more than ${MAX_REQUEST_DEPTH} levels deep`,
    });
    expect(new FeedValidator().validate({ ...crawl, attrs: nested(10) })).toEqual({ ok: true });
  });
});

describe('allow_regex and deny_regex', () => {
  it('are refused when RE2 cannot compile them, naming the member and the pattern', () => {
    const bad = new FeedValidator().validate({ ...crawl, allow_regex: ['ok', '(a'] });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.cause).toMatch(/^allow_regex: pattern "\(a" is not supported by RE2/);
    const look = new FeedValidator().validate({ ...crawl, deny_regex: ['(?=x)'] });
    expect(!look.ok && look.cause).toMatch(/^deny_regex: pattern "\(\?=x\)"/);
    expect(new FeedValidator().validate({ ...crawl, allow_regex: ['^https?://example\\.com/'] })).toEqual({
      ok: true,
    });
  });
});

describe('safePayload', () => {
  it('redacts cookies, authorization headers, passwords and api keys at any depth', () => {
    const shown = safePayload({
      url: 'http://x/',
      cookie: 'session=s3cr3t',
      attrs: {
        headers: { Authorization: 'Bearer t0k3n', 'X-Api-Key': 'k3y' },
        password: 'pw',
        cookies: { a: 'b' },
      },
    });
    const text = JSON.stringify(shown);
    for (const secret of ['s3cr3t', 't0k3n', 'k3y', '"pw"', '"b"']) expect(text).not.toContain(secret);
    expect(text).toContain(REDACTED);
    expect(text).toContain('http://x/');
  });

  it('caps a big payload and marks it truncated', () => {
    const shown = safePayload({ x: 'y'.repeat(5 * 1024 * 1024) });
    expect(typeof shown).toBe('string');
    expect((shown as string).length).toBeLessThan(2200);
    expect(shown).toMatch(/\[truncated, \d+ chars\]$/);
  });

  it('hides a cookie in unparseable text too, and survives deep data', () => {
    expect(safePayload('{"cookie": "session=abc", "url":')).not.toContain('session=abc');
    expect(JSON.stringify(safePayload(nested(5000)))).toContain('nested too deep');
  });
});
