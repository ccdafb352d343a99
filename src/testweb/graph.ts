import type { ResolvedTestWebOptions } from './options.js';

export type LinkKind = 'page' | 'cross' | 'file' | 'image' | 'redirect' | 'private';

export interface PageLink {
  kind: LinkKind;
  /** The absolute URL the link resolves to. */
  target: string;
  /** What the HTML says (absolute, root-relative, relative or protocol-relative). */
  href: string;
  tag: 'a' | 'area';
  text: string;
  /** For page, cross and redirect links: the HTML page reached. */
  page?: { domain: number; page: number };
}

/** A small fast PRNG (mulberry32); the graph only needs determinism, not quality. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mix(seed: number, domain: number, page: number): number {
  let h = Math.imul(seed ^ 0x9e3779b1, 0x85ebca77);
  h = Math.imul(h ^ domain ^ (h >>> 13), 0xc2b2ae3d);
  h = Math.imul(h ^ page ^ (h >>> 16), 0x27d4eb2f);
  return (h ^ (h >>> 15)) >>> 0;
}

const HOST_RE = /^(?:www\.)?d(\d+)\.test$/;

/**
 * The deterministic link graph of the test web: which links each page has and how they are written. Nothing is
 * stored per page; every answer is recomputed from the seed.
 */
export class LinkGraph {
  constructor(
    private readonly options: ResolvedTestWebOptions,
    readonly port: number,
  ) {}

  host(domain: number): string {
    return `d${domain}.test`;
  }

  origin(domain: number): string {
    return `http://d${domain}.test:${this.port}`;
  }

  pagePath(page: number): string {
    return page === 0 ? '/' : `/page/${page}`;
  }

  pageUrl(domain: number, page: number): string {
    return this.origin(domain) + this.pagePath(page);
  }

  /** The site index for a Host name (`d3.test`, `www.d3.test`, with or without a port), if it is one. */
  domainOf(hostHeader: string | undefined): number | undefined {
    if (!hostHeader) return undefined;
    const colon = hostHeader.lastIndexOf(':');
    const name = (
      colon > 0 && !hostHeader.endsWith(']') ? hostHeader.slice(0, colon) : hostHeader
    ).toLowerCase();
    const match = HOST_RE.exec(name);
    if (!match) return undefined;
    const index = Number(match[1]);
    return index < this.options.domains && String(index) === match[1] ? index : undefined;
  }

  /** The page index for a path of the graph (`/` or `/page/<n>`), if it is one. */
  pageOf(path: string): number | undefined {
    if (path === '/') return 0;
    if (!path.startsWith('/page/')) return undefined;
    const rest = path.slice(6);
    const page = Number(rest);
    if (!/^[1-9]\d*$/.test(rest) || page >= this.options.pagesPerDomain) return undefined;
    return page;
  }

  /** The `<base href>` a page declares, if any: it changes how its relative links resolve. */
  baseHref(domain: number, page: number): string | undefined {
    if (page === 0) return '/page/';
    if (page % 4 === 3) return `${this.origin(domain)}/`;
    return undefined;
  }

  /** Directory relative links resolve against: the base, else the page's own directory. */
  private baseDir(page: number): string {
    if (page === 0) return '/page/';
    if (page % 4 === 3) return '/';
    return '/page/';
  }

  /** Every HTML page, site by site. */
  allPageUrls(): string[] {
    const urls: string[] = [];
    for (let d = 0; d < this.options.domains; d++) {
      for (let p = 0; p < this.options.pagesPerDomain; p++) urls.push(this.pageUrl(d, p));
    }
    return urls;
  }

  /** The graph page a URL names, if any. */
  locate(url: string): { domain: number; page: number } | undefined {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return undefined;
    }
    const domain = this.domainOf(parsed.host);
    const page = this.pageOf(parsed.pathname);
    return domain === undefined || page === undefined ? undefined : { domain, page };
  }

  linksOf(url: string): PageLink[] | undefined {
    const page = this.locate(url);
    return page && this.links(page.domain, page.page);
  }

  /** Breadth-first depths of the pages reachable from a seed page (see TestWeb.reachablePages). */
  reachablePages(seedUrl: string, options: { maxDepth?: number; sameDomain?: boolean } = {}) {
    const depths = new Map<string, number>();
    const seed = this.locate(seedUrl);
    if (!seed) return depths;
    const maxDepth = options.maxDepth ?? Infinity;
    let frontier = [seed];
    depths.set(this.pageUrl(seed.domain, seed.page), 0);
    for (let depth = 0; depth < maxDepth && frontier.length > 0; depth++) {
      const next: { domain: number; page: number }[] = [];
      for (const { domain, page } of frontier) {
        for (const link of this.links(domain, page)) {
          if (!link.page || (options.sameDomain && link.page.domain !== seed.domain)) continue;
          const url = this.pageUrl(link.page.domain, link.page.page);
          if (depths.has(url)) continue;
          depths.set(url, depth + 1);
          next.push(link.page);
        }
      }
      frontier = next;
    }
    return depths;
  }

  links(domain: number, page: number): PageLink[] {
    const o = this.options;
    const random = rng(mix(o.seed, domain, page));
    const pick = (n: number) => Math.floor(random() * n);
    const out: PageLink[] = [];
    const add = (kind: LinkKind, targetDomain: number, path: string, text: string, target?: number) => {
      const index = out.length;
      const href = this.writeHref(domain, page, targetDomain, path, pick(4));
      const link: PageLink = {
        kind,
        target: this.origin(targetDomain) + path,
        href,
        tag: index % 6 === 5 ? 'area' : 'a',
        text,
      };
      if (target !== undefined) link.page = { domain: targetDomain, page: target };
      out.push(link);
    };

    const pages = o.pagesPerDomain;
    if (pages > 1 && o.linksPerPage > 0) {
      const chosen = new Set<number>([(page + 1) % pages]);
      for (
        let tries = 0;
        chosen.size < Math.min(o.linksPerPage, pages - 1) && tries < o.linksPerPage * 8;
        tries++
      ) {
        const j = pick(pages);
        if (j !== page) chosen.add(j);
      }
      for (const j of chosen) add('page', domain, this.pagePath(j), `Page ${j}`, j);
    }
    if (o.domains > 1) {
      for (let i = 0; i < o.crossDomainLinks; i++) {
        const home = page === 0 && i === 0;
        let d = (domain + 1) % o.domains;
        if (!home) d = (domain + 1 + pick(o.domains - 1)) % o.domains;
        const j = home ? 0 : pick(pages);
        add('cross', d, this.pagePath(j), `Site ${d} page ${j}`, j);
      }
    }
    for (let i = 0; i < o.nonHtmlLinks; i++) {
      const n = pick(pages);
      if (i % 2 === 0) add('file', domain, `/files/${n}.pdf`, `Document ${n}`);
      else add('image', domain, `/img/${n}.png`, `Picture ${n}`);
    }
    for (let i = 0; i < o.redirects; i++) {
      const j = pick(pages);
      add('redirect', domain, `/redirect/${j}`, `Moved page ${j}`, j);
    }
    for (let i = 0; i < o.privateLinks; i++) {
      const n = pick(pages);
      add('private', domain, `/private/${n}`, `Private ${n}`);
    }
    return out;
  }

  /** Writes a link in one of four styles; links to other sites are always absolute or protocol-relative. */
  private writeHref(domain: number, page: number, targetDomain: number, path: string, style: number): string {
    const absolute = this.origin(targetDomain) + path;
    if (targetDomain !== domain) return style % 2 === 0 ? absolute : absolute.slice(5);
    switch (style) {
      case 0:
        return absolute;
      case 1:
        return path;
      case 2:
        return relative(this.baseDir(page), path);
      default:
        return absolute.slice(5);
    }
  }
}

/** A path relative to a base directory ('/' or '/page/'). */
function relative(baseDir: string, path: string): string {
  if (path.startsWith(baseDir)) return path.length === baseDir.length ? './' : path.slice(baseDir.length);
  return `..${path}`;
}
