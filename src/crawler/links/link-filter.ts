import { domainToASCII } from 'node:url';
import { LRUCache } from 'lru-cache';
import type RE2 from 're2';
import { BadInputError } from '../../core/errors.js';
import { IGNORED_EXTENSIONS } from './ignored-extensions.js';
import { compileUserPatterns } from '../../core/user-regex.js';

/**
 * The link spider's filters, named after Scrapy's LxmlLinkExtractor arguments. A list may also be given as
 * one string (Scrapy's `arg_to_iter`); null or undefined means "no filter", except for `denyExtensions`.
 */
export interface LinkFilterOptions {
  /** Keep links whose host is one of these domains or a subdomain of one (`allowed_domains`). */
  allowDomains?: readonly string[] | string | null;
  /** RE2 patterns; when any are given, at least one must match somewhere in the URL (`allow_regex`). */
  allow?: readonly string[] | string | null;
  /** RE2 patterns; a match anywhere in the URL rejects it, whatever `allow` says (`deny_regex`). */
  deny?: readonly string[] | string | null;
  /** Path extensions to reject (`deny_extensions`); null or undefined: Scrapy's IGNORED_EXTENSIONS; []: none. */
  denyExtensions?: readonly string[] | string | null;
}

/** Compiled filters; `allows` sees a link's absolute URL before canonicalization, as Scrapy's does. */
export interface LinkFilter {
  allows(url: URL): boolean;
}

const MAX_CACHED = 256;

// A crawl's pages all carry the same options, so each distinct set is compiled once per process.
const cache = new LRUCache<string, LinkFilter>({ max: MAX_CACHED });

function toList(setting: string, value: unknown): readonly string[] {
  if (value === null || value === undefined) return [];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((item): item is string => typeof item === 'string')) return value;
  throw new BadInputError(
    `${setting} must be a list of strings, got ${JSON.stringify(value)?.slice(0, 100)}`,
  );
}

function normalizeDomain(domain: string): string {
  // Dots around the name never match in Scrapy either; tolerate them rather than silently match nothing.
  const bare = domain
    .trim()
    .toLowerCase()
    .replace(/^\.+|\.+$/g, '');
  // Link hosts are punycode after WHATWG parsing; bring unicode domains to the same form.
  return domainToASCII(bare) || bare;
}

function normalizeExtension(ext: string): string {
  return ext.trim().toLowerCase().replace(/^\./, '');
}

/**
 * The extension of the URL path's last segment, lower-cased, without the dot, as Python's
 * `posixpath.splitext` finds it (leading dots do not start one) and ignoring `;params`.
 */
export function pathExtension(pathname: string): string {
  let name = pathname.slice(pathname.lastIndexOf('/') + 1);
  const params = name.indexOf(';');
  if (params >= 0) name = name.slice(0, params);
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return '';
  for (let i = 0; i < dot; i++) if (name.charCodeAt(i) !== 46) return name.slice(dot + 1).toLowerCase();
  return '';
}

function matchesAny(patterns: readonly RE2[], url: string): boolean {
  for (const re of patterns) if (re.test(url)) return true;
  return false;
}

function build(
  domains: readonly string[],
  allow: readonly RE2[],
  deny: readonly RE2[],
  extensions: ReadonlySet<string>,
): LinkFilter {
  return {
    allows(url: URL): boolean {
      if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
      if (allow.length > 0 || deny.length > 0) {
        const href = url.href;
        if (allow.length > 0 && !matchesAny(allow, href)) return false;
        if (deny.length > 0 && matchesAny(deny, href)) return false;
      }
      if (domains.length > 0) {
        const host = url.hostname;
        if (
          !domains.some((d) => host === d || (host.endsWith(d) && host[host.length - d.length - 1] === '.'))
        ) {
          return false;
        }
      }
      if (extensions.size > 0) {
        const ext = pathExtension(url.pathname);
        if (ext !== '' && extensions.has(ext)) return false;
      }
      return true;
    },
  };
}

/**
 * Compiles (or takes from the cache) the filter for one option set. Throws {@link BadInputError} for a
 * list that is not a list of strings, or a pattern RE2 refuses or that exceeds the limits.
 */
export function compileLinkFilter(options: LinkFilterOptions = {}): LinkFilter {
  const domains = toList('allowed_domains', options.allowDomains)
    .map(normalizeDomain)
    .filter((d) => d !== '');
  const allow = toList('allow_regex', options.allow);
  const deny = toList('deny_regex', options.deny);
  const extensions =
    options.denyExtensions === null || options.denyExtensions === undefined
      ? null
      : toList('deny_extensions', options.denyExtensions).map(normalizeExtension);
  const key = JSON.stringify([domains, allow, deny, extensions]);
  let filter = cache.get(key);
  if (filter === undefined) {
    filter = build(
      domains,
      compileUserPatterns('allow_regex', allow),
      compileUserPatterns('deny_regex', deny),
      new Set(extensions ?? IGNORED_EXTENSIONS),
    );
    cache.set(key, filter);
  }
  return filter;
}
