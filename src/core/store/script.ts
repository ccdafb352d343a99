import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { MemoryScript, ScriptDef } from './types.js';

/**
 * Declares an atomic operation. The Lua file is the production path (loaded once, run with EVALSHA);
 * `memory` mirrors it line by line for the in-memory store, with `call` standing in for `redis.call`.
 * Both must pass the same contract tests.
 *
 * Lua-to-reply rules to mirror in `memory`: Lua numbers become integers (truncated), so return floats as
 * strings; Lua `false`/nil become nil; tables become arrays.
 */
export function defineScript(options: {
  name: string;
  numKeys: number;
  /** `new URL('./name.lua', import.meta.url)` from the defining module. */
  file: URL;
  memory: MemoryScript;
}): ScriptDef {
  let source: string | undefined;
  return {
    name: options.name,
    numKeys: options.numKeys,
    memory: options.memory,
    lua() {
      source ??= readFileSync(fileURLToPath(options.file), 'utf8');
      return source;
    },
  };
}
