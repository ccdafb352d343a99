export interface TestWebOptions {
  /** Number of sites `d0.test` … `d<N-1>.test` (default 10). */
  domains?: number;
  /** HTML pages per site: `/` and `/page/1` … `/page/<N-1>` (default 50). */
  pagesPerDomain?: number;
  /** Links from each page to pages of its own site (default 10; the first always goes to the next page). */
  linksPerPage?: number;
  /** Links from each page to other sites (default 2; each home page links to the next site's home). */
  crossDomainLinks?: number;
  /** Links from each page to `/files/<n>.pdf` and `/img/<n>.png`, alternating (default 0). */
  nonHtmlLinks?: number;
  /** Links from each page through `/redirect/<n>`, a 302 to page n of the same site (default 0). */
  redirects?: number;
  /** Links from each page into `/private/<n>`, which robots.txt disallows by default (default 0). */
  privateLinks?: number;
  /** Paths every site's robots.txt disallows for all agents (default ['/private/']). */
  robotsDisallow?: string[];
  /** Site index → status code its /robots.txt answers with instead of the rules (4xx/5xx tests). */
  robotsStatus?: Record<number, number>;
  /** Path prefix → delay in ms before the response starts. */
  slowPaths?: Record<string, number>;
  /** Delay in ms before every HTML page of the graph (default 0). */
  latencyMs?: number;
  /** Pad every HTML page of the graph to at least this many bytes (default 0: no padding). */
  pageBytes?: number;
  /** Seed of the link graph (default 1); the same options always give the same graph. */
  seed?: number;
  /** Record requests: true (default), false, or the most to keep (later ones are only counted). */
  record?: boolean | number;
  /** Port to listen on (default 0: a free one); the address is always 127.0.0.1. */
  port?: number;
}

export type ResolvedTestWebOptions = Required<Omit<TestWebOptions, 'record'>> & { recordLimit: number };

export function resolveOptions(options: TestWebOptions): ResolvedTestWebOptions {
  const record = options.record ?? true;
  return {
    domains: positive(options.domains ?? 10, 'domains'),
    pagesPerDomain: positive(options.pagesPerDomain ?? 50, 'pagesPerDomain'),
    linksPerPage: options.linksPerPage ?? 10,
    crossDomainLinks: options.crossDomainLinks ?? 2,
    nonHtmlLinks: options.nonHtmlLinks ?? 0,
    redirects: options.redirects ?? 0,
    privateLinks: options.privateLinks ?? 0,
    robotsDisallow: options.robotsDisallow ?? ['/private/'],
    robotsStatus: options.robotsStatus ?? {},
    slowPaths: options.slowPaths ?? {},
    latencyMs: options.latencyMs ?? 0,
    pageBytes: options.pageBytes ?? 0,
    seed: options.seed ?? 1,
    port: options.port ?? 0,
    recordLimit: record === true ? Infinity : record === false ? 0 : Math.max(0, record),
  };
}

function positive(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`);
  return value;
}
