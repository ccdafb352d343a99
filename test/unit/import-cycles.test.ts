import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The layering rule's third part (docs/architecture.md): no import cycles between the modules of src/.
 * The per-layer import bans are ESLint rules (eslint.config.js); a cycle needs the whole graph, so it is
 * checked here. Type-only imports are left out: they vanish at run time.
 */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const IMPORT = /^(?:import|export)\s+(?!type\b)[^'"]*?from\s+['"](\.{1,2}\/[^'"]+)['"]/gm;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** Every relative import, type-only ones included (for who-may-import-what, not for cycles). */
const ANY_IMPORT = /^(?:import|export)\s+[^'"]*?from\s+['"](\.{1,2}\/[^'"]+)['"]/gm;

function importGraph(pattern = IMPORT): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sources(join(ROOT, 'src'))) {
    const text = readFileSync(file, 'utf8');
    const deps = [...text.matchAll(pattern)].map((m) =>
      normalize(join(dirname(file), m[1]!)).replace(/\.js$/, '.ts'),
    );
    graph.set(file, deps);
  }
  return graph;
}

/** Strongly connected components of more than one module (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(relative(ROOT, w));
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe('layering', () => {
  it('src/ has no import cycles', () => {
    const graph = importGraph();
    expect(graph.size).toBeGreaterThan(100);
    expect(cycles(graph)).toEqual([]);
  });

  it('core and the components never import the top-level modules (src/settings.ts, src/index.ts)', () => {
    // ESLint's per-folder bans see only the import text: `../settings.js` from src/crawler/x.ts is the
    // top-level registry, from src/crawler/fetch/x.ts the crawler's own table. Resolved paths decide here.
    const top = new Set(['src/settings.ts', 'src/index.ts']);
    const lower = /^src\/(core|crawler|kafka-monitor|redis-monitor|rest|testweb)\//;
    const offenders: string[] = [];
    for (const [file, deps] of importGraph(ANY_IMPORT)) {
      const from = relative(ROOT, file);
      if (!lower.test(from)) continue;
      for (const dep of deps)
        if (top.has(relative(ROOT, dep))) offenders.push(`${from} → ${relative(ROOT, dep)}`);
    }
    expect(offenders).toEqual([]);
    const registry = importGraph(ANY_IMPORT).get(join(ROOT, 'src/settings.ts')) ?? [];
    expect(registry.map((dep) => relative(ROOT, dep))).toContain('src/crawler/settings.ts');
  });

  it('finds a cycle when there is one', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    expect(cycles(graph).map((c) => c.length)).toEqual([3]);
  });
});
