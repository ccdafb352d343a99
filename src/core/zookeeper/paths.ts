import { BadInputError } from '../errors.js';

/** Where `zookeeper push` writes and crawlers read the domain configuration by default (the original's). */
export const DEFAULT_CONFIG_PATH = '/scrapy-cluster/crawler/';
export const DEFAULT_CONFIG_ID = 'all';

/**
 * ZooKeeper node-path rules as node-zookeeper-client enforces them (it throws an AssertionError
 * otherwise): absolute, no trailing or doubled slash, no `.`/`..` segments. Control characters are
 * refused too because the server rejects them.
 */
export function isValidNodePath(path: string): boolean {
  if (!path.startsWith('/')) return false;
  if (path === '/') return true;
  if (path.endsWith('/') || path.includes('//')) return false;
  if (/\/\.\.?(\/|$)/.test(path)) return false;
  // eslint-disable-next-line no-control-regex
  return !/[\u0000-\u001f\u007f]/.test(path);
}

/**
 * The path a pointer node names. Editors and `echo` leave a trailing newline, which made the original
 * report "Invalid pointer path"; surrounding whitespace is therefore trimmed. Undefined when nothing
 * usable is left.
 */
export function parsePointer(raw: string): string | undefined {
  const path = raw.trim();
  return path !== '' && path !== '/' && isValidNodePath(path) ? path : undefined;
}

/**
 * The config node of the pusher: the original concatenated `path + id`, which silently produced
 * `/tmpmyconfig` for `-p /tmp`; here exactly one separator is used.
 */
export function configNodePath(path: string, id: string): string {
  const base = path.trim().replace(/\/+$/, '');
  const leaf = id.trim().replace(/^\/+/, '');
  if (leaf === '') throw new BadInputError('The config id must not be empty');
  const node = `${base}/${leaf}`;
  if (!isValidNodePath(node)) throw new BadInputError(`Invalid ZooKeeper node path: ${JSON.stringify(node)}`);
  return node;
}

/** Every proper ancestor of `path`, outermost first (`/a/b/c` → `/a`, `/a/b`). */
export function ancestorPaths(path: string): string[] {
  const parts = path.split('/').filter((p) => p !== '');
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push(`/${parts.slice(0, i).join('/')}`);
  return out;
}
