import { BadInputError } from '../../core/errors.js';
import { LinkSpider } from './link-spider.js';
import { loadSpiderFile } from './load-spider-file.js';
import { SitemapSpider } from './sitemap-spider.js';
import type { SpiderClass } from './spider.js';
import { WanderingSpider } from './wandering-spider.js';

/** The spiders that ship with the cluster, by spider type. */
export const BUILTIN_SPIDERS: Readonly<Record<string, SpiderClass>> = Object.freeze({
  [LinkSpider.spiderName]: LinkSpider,
  [WanderingSpider.spiderName]: WanderingSpider,
  [SitemapSpider.spiderName]: SitemapSpider,
});

/** Whether `--spider` names a file rather than a built-in spider type. */
export function isSpiderPath(value: string): boolean {
  return /[\\/]/.test(value) || /\.[cm]?[jt]s$/.test(value);
}

/**
 * The class for `crawler --spider <value>`: a built-in spider type (`link`, `wandering`, `sitemap`) or the path of a
 * spider file. Throws BadInputError for an unknown name or an unusable file.
 */
export async function resolveSpider(value: string): Promise<SpiderClass> {
  if (isSpiderPath(value)) return loadSpiderFile(value);
  const builtin = Object.hasOwn(BUILTIN_SPIDERS, value) ? BUILTIN_SPIDERS[value] : undefined;
  if (builtin !== undefined) return builtin;
  const known = Object.keys(BUILTIN_SPIDERS).join(', ');
  throw new BadInputError(`unknown spider '${value}': use one of ${known}, or the path of a spider file`);
}
