import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SettingsError, errorMessage } from './errors.js';

export interface RankedPlugin<P> {
  /** The PLUGINS key it was loaded from. */
  id: string;
  rank: number;
  plugin: P;
}

/** A plugin module export: an instance, or a class constructed with the context (when one is given). */
function instantiate<P>(exported: unknown, id: string, setting: string, context: unknown): P {
  if (typeof exported === 'function') {
    try {
      return new (exported as new (context?: unknown) => P)(context);
    } catch (err) {
      throw new SettingsError(`Setting ${setting}: ${id} could not be constructed: ${errorMessage(err)}`, {
        cause: err,
      });
    }
  }
  if (exported && typeof exported === 'object') return exported as P;
  throw new SettingsError(`Setting ${setting}: ${id} exports neither a class nor an object`);
}

/**
 * Loads the plugins named by a PLUGINS setting, ordered by rank (lowest first). Keys are built-in names
 * (`ScraperHandler`, or the original's dotted path ending in that name) or a module path with an optional
 * export name, `./plugins/my-plugin.js#MyPlugin`, resolved from `baseDir`. A null rank removes a plugin.
 */
export async function loadPlugins<P>(
  ranks: Readonly<Record<string, number | null>>,
  builtIns: Readonly<Record<string, unknown>>,
  options: {
    baseDir?: string;
    validate?: (plugin: P, id: string) => void;
    /** The setting's name, for error messages (default PLUGINS). */
    setting?: string;
    /** Passed to the constructor of every plugin class (Scrapy's from_crawler). */
    context?: unknown;
  } = {},
): Promise<RankedPlugin<P>[]> {
  const setting = options.setting ?? 'PLUGINS';
  const loaded: RankedPlugin<P>[] = [];
  for (const [id, rank] of Object.entries(ranks)) {
    if (rank === null || rank === undefined) continue;
    if (!Number.isInteger(rank))
      throw new SettingsError(
        `Setting ${setting}: rank of ${id} must be an integer, got ${JSON.stringify(rank)}`,
      );
    const builtInName = id.includes('#') || id.includes('/') ? undefined : id.split('.').pop();
    let exported: unknown;
    if (builtInName !== undefined && builtInName in builtIns) {
      exported = builtIns[builtInName];
    } else {
      const [path, exportName = 'default'] = id.split('#') as [string, string?];
      const file = isAbsolute(path) ? path : resolve(options.baseDir ?? process.cwd(), path);
      let module: Record<string, unknown>;
      try {
        module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
      } catch (err) {
        // A bare name that is no built-in is most likely a typo of one: name them.
        const hint = builtInName === undefined ? '' : ` (built-ins: ${Object.keys(builtIns).join(', ')})`;
        throw new SettingsError(
          `Setting ${setting}: ${id} could not be loaded from ${file}${hint}: ${errorMessage(err)}`,
          { cause: err },
        );
      }
      if (!(exportName in module))
        throw new SettingsError(`Setting ${setting}: ${id}: ${file} has no export named ${exportName}`);
      exported = module[exportName];
    }
    const plugin = instantiate<P>(exported, id, setting, options.context);
    options.validate?.(plugin, id);
    loaded.push({ id, rank, plugin });
  }
  return loaded.sort((a, b) => a.rank - b.rank);
}
