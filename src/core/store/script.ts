import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { MemoryScript, ScriptDef } from './types.js';

const INCLUDE = /^--- @include "([^"]+)"\s*$/gm;

/**
 * Reads a Lua file, replacing each `--- @include "relative/path.lua"` line with that file's contents
 * (recursively, each file at most once), so scripts can share snippets such as the FIFO score.
 */
export function readLua(file: URL, seen = new Set<string>()): string {
  const path = fileURLToPath(file);
  if (seen.has(path)) return '';
  seen.add(path);
  return readFileSync(path, 'utf8').replace(INCLUDE, (_, rel: string) => readLua(new URL(rel, file), seen));
}

/**
 * Declares an atomic operation. The Lua file is the production path (loaded once, run with EVALSHA);
 * `memory` mirrors it line by line for the in-memory store, with `call` standing in for `redis.call`.
 * Both must pass the same contract tests.
 *
 * Lua-to-reply rules to mirror in `memory`: Lua numbers become integers (truncated), so return floats as
 * strings; Lua `false`/nil become nil; tables become arrays.
 */
const registry = new Map<string, ScriptDef>();

/**
 * Every script defined so far, by name: each `defineScript` registers itself when its module loads (the
 * core cannot import the components that define scripts). `test/unit/lua-scripts.test.ts` loads every
 * defining module and checks that each `.lua` file is registered and documents its KEYS and ARGV.
 */
export function registeredScripts(): ScriptDef[] {
  return [...registry.values()];
}

export function defineScript(options: {
  name: string;
  numKeys: number;
  /** `new URL('./name.lua', import.meta.url)` from the defining module. */
  file: URL;
  memory: MemoryScript;
}): ScriptDef {
  const existing = registry.get(options.name);
  if (existing && existing.file.href !== options.file.href)
    throw new Error(`Two scripts are named ${options.name}: ${existing.file.href} and ${options.file.href}`);
  let source: string | undefined;
  const script: ScriptDef = {
    name: options.name,
    numKeys: options.numKeys,
    file: options.file,
    memory: options.memory,
    lua() {
      source ??= readLua(options.file);
      return source;
    },
  };
  registry.set(options.name, script);
  return script;
}
