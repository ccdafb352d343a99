/**
 * Every atomic Redis operation is one Lua file with a header naming each KEYS and ARGV it uses, declared
 * once with defineScript (with its in-memory twin). This test loads every module that defines scripts
 * and fails when a `.lua` file is not registered, when its header misses a KEYS[n] or ARGV[n] the code
 * uses, or when two scripts share a name. Shared snippets (`-- Shared snippet:` first line, pulled in
 * with `--- @include`) are not scripts of their own.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { registeredScripts } from '../../src/core/store/script.js';

const SRC = resolve(import.meta.dirname, '../../src');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

const files = walk(SRC);
const luaFiles = files.filter((f) => f.endsWith('.lua'));
const isSnippet = (file: string) => readFileSync(file, 'utf8').startsWith('-- Shared snippet:');

/** The indices a header documents: `KEYS[3]`, `ARGV[1..6]`, `KEYS[4..]` (open: every index from 4). */
function documented(header: string, name: 'KEYS' | 'ARGV'): { indices: Set<number>; openFrom: number } {
  const indices = new Set<number>();
  let openFrom = Infinity;
  for (const m of header.matchAll(new RegExp(`${name}\\[(\\d+)(?:\\.\\.(\\d*))?\\]`, 'g'))) {
    const from = Number(m[1]);
    if (m[2] === undefined) indices.add(from);
    else if (m[2] === '') openFrom = Math.min(openFrom, from);
    else for (let i = from; i <= Number(m[2]); i++) indices.add(i);
  }
  return { indices, openFrom };
}

/** The literal indices the code (comments left out) uses: `KEYS[2]`, `ARGV[7]`. */
function used(code: string, name: 'KEYS' | 'ARGV'): number[] {
  return [...new Set([...code.matchAll(new RegExp(`${name}\\[(\\d+)\\]`, 'g'))].map((m) => Number(m[1])))];
}

beforeAll(async () => {
  // Scripts register themselves when their module loads.
  for (const file of files.filter(
    (f) => f.endsWith('.ts') && readFileSync(f, 'utf8').includes('defineScript({'),
  ))
    await import(pathToFileURL(file).href);
});

describe('Lua scripts', () => {
  it('registers every script file once, under a distinct name', () => {
    const registered = registeredScripts().map((s) => fileURLToPath(s.file));
    expect(registered.length).toBeGreaterThanOrEqual(19);
    expect(new Set(registered).size).toBe(registered.length);
    const scripts = luaFiles.filter((f) => !isSnippet(f));
    expect(scripts.filter((f) => !registered.includes(f))).toEqual([]);
    expect(registered.filter((f) => !scripts.includes(f))).toEqual([]);
  });

  it('documents every KEYS[n] and ARGV[n] a script uses in its header', () => {
    const missing: string[] = [];
    for (const script of registeredScripts()) {
      const text = readFileSync(fileURLToPath(script.file), 'utf8');
      const lines = text.split('\n');
      const headerEnd = lines.findIndex((l) => !l.startsWith('--'));
      const header = lines.slice(0, headerEnd).join('\n');
      const code = lines
        .slice(headerEnd)
        .map((l) => l.replace(/--.*$/, ''))
        .join('\n');
      for (const name of ['KEYS', 'ARGV'] as const) {
        const doc = documented(header, name);
        for (const n of used(code, name))
          if (!doc.indices.has(n) && n < doc.openFrom) missing.push(`${script.name}: ${name}[${n}]`);
      }
      const keys = documented(header, 'KEYS');
      const maxKey = Math.max(0, ...keys.indices);
      if (keys.openFrom === Infinity && maxKey !== script.numKeys)
        missing.push(`${script.name}: header documents ${maxKey} KEYS, numKeys is ${script.numKeys}`);
    }
    expect(missing).toEqual([]);
  });

  it('gives every shared snippet a header saying what it computes', () => {
    const snippets = luaFiles.filter(isSnippet);
    expect(snippets.length).toBeGreaterThanOrEqual(3);
    for (const file of snippets)
      expect(readFileSync(file, 'utf8').split('\n')[0]!.length).toBeGreaterThan(30);
  });
});
