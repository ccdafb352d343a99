/**
 * docs/settings.md agrees with the code: every setting its tables name exists in that component's
 * defaults (or is an accepted alias), every default is documented, and a setting that the component's
 * code never reads says so in its row (**Not used**), so no page can call it effective.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  COMPONENT_SPECS,
  COMPONENTS,
  resolveSettings,
  type Component,
  type SettingsRecord,
} from '../../src/settings.js';

const ROOT = resolve(import.meta.dirname, '../..');
const HEADINGS: Record<Component, string> = {
  'kafka-monitor': '## Kafka monitor (`kafka-monitor`)',
  crawler: '## Crawler (`crawler`)',
  'redis-monitor': '## Redis monitor (`redis-monitor`)',
  rest: '## REST service (`rest`)',
};
/** Where each component's code lives; src/core serves every component. */
const CODE_DIRS: Record<Component, string[]> = {
  'kafka-monitor': ['src/kafka-monitor', 'src/cli/commands/kafka-monitor.ts'],
  crawler: ['src/crawler', 'src/cli/commands/crawler.ts'],
  'redis-monitor': ['src/redis-monitor', 'src/cli/commands/redis-monitor.ts'],
  rest: ['src/rest', 'src/cli/commands/rest.ts'],
};
const SHARED_DIRS = ['src/core'];
const NOT_USED = /\*\*Not used\*\*/;

interface Row {
  names: string[];
  text: string;
}

/** The rows of a component's settings table: `| NAME / NAME | default | meaning |`. */
function docRows(markdown: string, component: Component): Row[] {
  const start = markdown.indexOf(HEADINGS[component]);
  expect(start, `heading of ${component}`).toBeGreaterThanOrEqual(0);
  const rest = markdown.slice(start + HEADINGS[component].length);
  const end = rest.search(/\n## /);
  const section = end < 0 ? rest : rest.slice(0, end);
  const rows: Row[] = [];
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 4 || !/^[A-Z][A-Z0-9_]*( \/ [A-Z][A-Z0-9_]*)*$/.test(cells[1]!)) continue;
    rows.push({ names: cells[1]!.split(' / '), text: line });
  }
  return rows;
}

function sourceFiles(dir: string): string[] {
  if (dir.endsWith('.ts')) return [dir];
  const out: string[] = [];
  for (const name of readdirSync(join(ROOT, dir))) {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) {
      if (name !== 'defaults') out.push(...sourceFiles(path));
    } else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

const code: Record<Component, string> = Object.fromEntries(
  COMPONENTS.map((c) => [
    c,
    [...CODE_DIRS[c], ...SHARED_DIRS]
      .flatMap(sourceFiles)
      .map((f) => readFileSync(join(ROOT, f), 'utf8'))
      .join('\n'),
  ]),
) as Record<Component, string>;

/** True when the component's code names the setting (log settings are read through their names table). */
function isRead(component: Component, name: string): boolean {
  const spec = COMPONENT_SPECS[component];
  if ((Object.values(spec.log) as string[]).includes(name)) return true;
  return new RegExp(`\\b${name}\\b`).test(code[component]);
}

describe('docs/settings.md', () => {
  const markdown = readFileSync(join(ROOT, 'docs/settings.md'), 'utf8');

  for (const component of COMPONENTS) {
    const spec = COMPONENT_SPECS[component];
    const defaults = Object.keys(spec.defaults);
    const rows = docRows(markdown, component);
    const documented = new Set(rows.flatMap((r) => r.names));

    it(`${component}: every documented setting exists in the defaults`, () => {
      const unknown = [...documented].filter(
        (name) => !defaults.includes(name) && !Object.hasOwn(spec.aliases, name),
      );
      expect(unknown).toEqual([]);
    });

    it(`${component}: every setting in the defaults is documented`, () => {
      const aliasesDocumented = (name: string): boolean =>
        Object.entries(spec.aliases).some(
          ([alias, canonical]) => canonical === name && documented.has(alias),
        );
      expect(defaults.filter((name) => !documented.has(name) && !aliasesDocumented(name))).toEqual([]);
    });

    it(`${component}: a setting its code never reads is marked **Not used**`, () => {
      const unmarked = rows
        .filter((row) => !NOT_USED.test(row.text))
        .flatMap((row) => row.names.filter((name) => defaults.includes(name) && !isRead(component, name)));
      expect(unmarked).toEqual([]);
    });
  }

  it('every setting name the code reads as settings.NAME is a known setting', () => {
    const known = new Set(COMPONENTS.flatMap((c) => Object.keys(COMPONENT_SPECS[c].defaults)));
    const read = new Set<string>();
    for (const file of ['src'].flatMap(sourceFiles)) {
      for (const m of readFileSync(join(ROOT, file), 'utf8').matchAll(
        /\bsettings\??\.([A-Z][A-Z0-9_]{2,})\b/g,
      ))
        read.add(m[1]!);
    }
    expect([...read].filter((name) => !known.has(name))).toEqual([]);
  });

  it('the production settings example in docs/deployment.md loads for every component, names all known', () => {
    const deployment = readFileSync(join(ROOT, 'docs/deployment.md'), 'utf8');
    const block = /<!-- settings-example[^>]*-->\s*\n```yaml\n([\s\S]*?)\n```/.exec(deployment)?.[1];
    expect(block).toBeDefined();
    const values = parseYaml(block!) as SettingsRecord;
    const known = new Set(COMPONENTS.flatMap((c) => Object.keys(COMPONENT_SPECS[c].defaults)));
    expect(Object.keys(values).filter((name) => !known.has(name))).toEqual([]);
    for (const component of COMPONENTS) {
      const settings = resolveSettings(component, { fileValues: values, env: {} });
      expect(settings.REDIS_HOST).toBe('redis.internal');
    }
  });
});
