import { readFileSync } from 'node:fs';
import type { JsonObject } from '../validator.js';

/** Reads one of the built-in JSON schemas shipped next to the plugins. */
export function loadBuiltInSchema(file: string): JsonObject {
  return JSON.parse(readFileSync(new URL(`../schemas/${file}`, import.meta.url), 'utf8')) as JsonObject;
}
