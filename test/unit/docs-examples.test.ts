/**
 * Every JavaScript block of docs/extending.md is a part of a file in examples/, and every example is run
 * by a crawl test (test/unit/crawl-extensions.test.ts): so the code the docs show is code that runs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const trimLines = (text: string) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join('\n');

describe('docs/extending.md examples', () => {
  const doc = readFileSync(join(ROOT, 'docs/extending.md'), 'utf8');
  const blocks = [...doc.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const examples = readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.mjs'));
  const sources = examples.map((f) => trimLines(readFileSync(join(ROOT, 'examples', f), 'utf8')));

  it('shows only code taken from the examples', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    const orphans = blocks.filter((block) => !sources.some((source) => source.includes(trimLines(block))));
    expect(orphans).toEqual([]);
  });

  it('runs every example in a crawl test, and names every example in the docs', () => {
    const test = readFileSync(join(ROOT, 'test/unit/crawl-extensions.test.ts'), 'utf8');
    expect(examples.filter((f) => !test.includes(`examples/${f}`))).toEqual([]);
    expect(examples.filter((f) => !doc.includes(`./examples/${f}`))).toEqual([]);
  });
});
