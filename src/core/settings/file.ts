import { readFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { errorMessage, SettingsError } from '../errors.js';
import { isPlainObject, type SettingsRecord } from './merge.js';

const SUPPORTED = '.json, .yaml, .yml, .js or .mjs';

function fileError(message: string, cause?: unknown): SettingsError {
  return new SettingsError(message, { code: 'SC_SETTINGS_FILE', cause });
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw fileError(`Settings file not found: ${path}`, err);
    throw fileError(`Cannot read settings file ${path}: ${errorMessage(err)}`, err);
  }
}

function parseText(path: string, text: string, format: 'JSON' | 'YAML'): unknown {
  try {
    return format === 'JSON' ? (JSON.parse(text) as unknown) : (parseYaml(text) as unknown);
  } catch (err) {
    throw fileError(`Settings file ${path} is not valid ${format}: ${errorMessage(err)}`, err);
  }
}

/** A module's default export when it is an object, otherwise its named exports. */
async function importModule(path: string): Promise<unknown> {
  await readText(path); // same "not found" error as the other formats
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (err) {
    throw fileError(`Cannot load settings module ${path}: ${errorMessage(err)}`, err);
  }
  if (isPlainObject(namespace.default)) return namespace.default;
  const named: SettingsRecord = {};
  for (const [key, value] of Object.entries(namespace)) if (key !== 'default') named[key] = value;
  return named;
}

/**
 * Reads a local settings file (the original's `localsettings.py`). The format follows the extension; the
 * top level must be an object. An empty YAML file counts as no settings.
 */
export async function readSettingsFile(file: string): Promise<SettingsRecord> {
  const path = resolve(file);
  const ext = extname(path).toLowerCase();
  let parsed: unknown;
  if (ext === '.json') parsed = parseText(path, await readText(path), 'JSON');
  else if (ext === '.yaml' || ext === '.yml') parsed = parseText(path, await readText(path), 'YAML');
  else if (ext === '.js' || ext === '.mjs') parsed = await importModule(path);
  else throw fileError(`Settings file ${path} has an unsupported extension; use ${SUPPORTED}`);

  if (parsed === null || parsed === undefined) return {};
  if (!isPlainObject(parsed))
    throw fileError(`Settings file ${path} must contain an object at the top level`);
  return parsed;
}
