import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BadInputError, errorMessage } from '../../core/errors.js';
import { Spider, type SpiderClass } from './spider.js';

function isSpiderClass(value: unknown): value is SpiderClass {
  return (
    typeof value === 'function' &&
    typeof (value as { spiderName?: unknown }).spiderName === 'string' &&
    typeof (value.prototype as { parse?: unknown } | undefined)?.parse === 'function'
  );
}

/** Spider subclasses first; duck-typed classes too, since a user file may import another copy of Spider. */
function spiderCandidate(exports: Record<string, unknown>): unknown {
  if ('default' in exports && exports.default !== undefined) return exports.default;
  const values = Object.values(exports).filter((v) => typeof v === 'function');
  return (
    values.find((v) => (v as { prototype?: unknown }).prototype instanceof Spider) ??
    values.find(isSpiderClass)
  );
}

/**
 * Loads a user's spider file (`.js`/`.mjs`, or `.ts` when running under a TypeScript loader): its default
 * export, or else the first exported Spider subclass. The class needs a non-empty static `spiderName` and
 * a `parse` method; anything else fails with a BadInputError saying what is missing.
 */
export async function loadSpiderFile(path: string): Promise<SpiderClass> {
  const absolute = resolve(path);
  try {
    if (!(await stat(absolute)).isFile()) throw new Error('not a file');
  } catch (err) {
    throw new BadInputError(`spider file ${absolute} cannot be read: ${errorMessage(err)}`, { cause: err });
  }
  let exports: Record<string, unknown>;
  try {
    exports = (await import(pathToFileURL(absolute).href)) as Record<string, unknown>;
  } catch (err) {
    throw new BadInputError(`spider file ${absolute} failed to load: ${errorMessage(err)}`, { cause: err });
  }
  const candidate = spiderCandidate(exports);
  if (typeof candidate !== 'function') {
    throw new BadInputError(
      `spider file ${absolute} exports no spider class: export default a class that extends Spider`,
    );
  }
  const name = (candidate as { spiderName?: unknown }).spiderName;
  if (typeof name !== 'string' || name.trim() === '') {
    throw new BadInputError(
      `spider class ${candidate.name || '(anonymous)'} in ${absolute} has no spiderName: ` +
        "add `static spiderName = 'myspider'` (the spider type its requests are queued under)",
    );
  }
  if (!/^[A-Za-z0-9_-]+$/.test(name)) {
    throw new BadInputError(
      `spiderName '${name}' in ${absolute} must be letters, digits, '_' or '-' (it is part of Redis keys)`,
    );
  }
  if (!isSpiderClass(candidate)) {
    throw new BadInputError(
      `spider class ${candidate.name || name} in ${absolute} has no parse(response) method`,
    );
  }
  return candidate;
}
