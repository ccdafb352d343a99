/**
 * The API requests the docs show (`kafka-monitor feed '<json>'` and `curl ... -d '<json>'` to /feed and
 * /feed/bulk) are run through the same check the Kafka Monitor and the REST service apply, so an example
 * a reader copies is one the cluster accepts (the bulk example shows one refused request on purpose).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FeedValidator } from '../../src/core/wire/feed-validator.js';
import { checkBulk } from '../../src/rest/bulk-feed.js';

const ROOT = resolve(import.meta.dirname, '../..');
const files = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const validator = new FeedValidator();

interface Example {
  where: string;
  endpoint: 'feed' | 'bulk' | 'poll';
  json: string;
}

function examples(): Example[] {
  const found: Example[] = [];
  for (const file of files) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    // Examples with `-s <file>` feed a plugin of their own (its schema is not a built-in one).
    for (const m of text.matchAll(/kafka-monitor feed '(\{[^']*\})'/g))
      found.push({ where: file, endpoint: 'feed', json: m[1]! });
    for (const m of text.matchAll(
      /curl [^\n]*?\/(feed\/bulk|feed|poll)(?: *\\\n\s*| +)-H '[^']*'(?: *\\\n\s*| +)-d '([^']+)'/g,
    ))
      found.push({
        where: file,
        endpoint: m[1] === 'feed/bulk' ? 'bulk' : (m[1] as 'feed' | 'poll'),
        json: m[2]!,
      });
  }
  return found;
}

describe('API examples in the docs', () => {
  const all = examples();

  it('finds the examples', () => {
    expect(all.filter((e) => e.endpoint === 'feed').length).toBeGreaterThanOrEqual(12);
    expect(all.filter((e) => e.endpoint === 'bulk')).toHaveLength(1);
  });

  it('are requests the cluster accepts', () => {
    const refused = all
      .filter((e) => e.endpoint === 'feed')
      .map((e) => ({ ...e, verdict: validator.validate(JSON.parse(e.json.replace(/\s*\n\s*/g, ' '))) }))
      .filter((e) => !e.verdict.ok);
    expect(refused).toEqual([]);
  });

  it('shows a bulk call whose report matches the one in the docs', () => {
    const bulk = all.find((e) => e.endpoint === 'bulk')!;
    const checked = checkBulk(JSON.parse(bulk.json), validator);
    expect('results' in checked && checked.results.map((r) => r.ok)).toEqual([true, false]);
  });
});
