import { LRUCache } from 'lru-cache';
import robotsParserModule from 'robots-parser';
import type { Logger } from '../../core/logging/index.js';
import { FetchError } from './errors.js';

// A CommonJS package typed as an ES module: at run time the default import is the function itself.
const robotsParser = robotsParserModule as unknown as (typeof robotsParserModule)['default'];
type Robot = ReturnType<typeof robotsParser>;

/** What a robots.txt fetch returned; `error` when it produced no response at all. */
export type RobotsFetchResult = { status: number; body: Buffer } | { error: FetchError };

/** The rules for one origin. */
type Rules =
  | { kind: 'allow-all' }
  | { kind: 'parsed'; robot: Robot }
  /** 5xx or 429: everything is disallowed for a while (RFC 9309 §2.3.1.4). */
  | { kind: 'unreachable'; status: number }
  /** No response (DNS, connect, timeout): the page fetch fails the same way, retryably. */
  | { kind: 'failed'; error: FetchError };

export interface RobotsOptions {
  /** The crawler's User-Agent; its product token ("Scrapy" in "Scrapy/1.5.0 (...)") picks the group. */
  userAgent: string;
  /** Fetches a robots.txt, through `proxy` when the request that needs it goes through one. */
  fetchRobots: (robotsUrl: string, proxy?: string) => Promise<RobotsFetchResult>;
  logger?: Logger | undefined;
  /** How long parsed rules and 4xx answers are kept. */
  ttlMs?: number;
  /** How long a 5xx answer or a failed fetch is kept. */
  errorTtlMs?: number;
  maxOrigins?: number;
}

export type RobotsVerdict = { allowed: true } | { allowed: false; error: FetchError };

const ALLOWED: RobotsVerdict = { allowed: true };

/** robots.txt rules per origin (scheme, host, port), fetched once and cached; concurrent callers share a fetch. */
export class RobotsCache {
  private readonly cache: LRUCache<string, Rules>;
  private readonly inflight = new Map<string, Promise<Rules>>();
  private readonly token: string;
  private readonly errorTtlMs: number;

  constructor(private readonly options: RobotsOptions) {
    this.cache = new LRUCache({ max: options.maxOrigins ?? 50_000, ttl: options.ttlMs ?? 3_600_000 });
    this.errorTtlMs = options.errorTtlMs ?? 60_000;
    this.token = productToken(options.userAgent);
  }

  /** Whether `url` may be fetched; a URL's own robots.txt always may. */
  async check(url: URL, proxy?: string): Promise<RobotsVerdict> {
    if (url.pathname === '/robots.txt') return ALLOWED;
    const origin = url.origin;
    return this.verdict(url, origin, this.cache.get(origin) ?? (await this.load(origin, proxy)));
  }

  /** The Crawl-delay (seconds) the origin's cached rules set for the crawler's agent, if any. */
  crawlDelay(url: URL): number | undefined {
    const rules = this.cache.get(url.origin);
    if (rules?.kind !== 'parsed') return undefined;
    const delay = rules.robot.getCrawlDelay(this.token);
    return typeof delay === 'number' && Number.isFinite(delay) && delay > 0 ? delay : undefined;
  }

  /** The verdict when the origin's cached rules are cached, without waiting; undefined when they must be fetched. */
  cached(url: URL): RobotsVerdict | undefined {
    if (url.pathname === '/robots.txt') return ALLOWED;
    const origin = url.origin;
    const rules = this.cache.get(origin);
    return rules && this.verdict(url, origin, rules);
  }

  private verdict(url: URL, origin: string, rules: Rules): RobotsVerdict {
    switch (rules.kind) {
      case 'allow-all':
        return ALLOWED;
      case 'parsed':
        // robots-parser answers undefined for another origin; the origin is ours by construction.
        return rules.robot.isAllowed(url.href, this.token) === false
          ? this.refuse(url, `Refused ${url.href}: disallowed by ${origin}/robots.txt`, false)
          : ALLOWED;
      case 'unreachable':
        return this.refuse(
          url,
          `Refused ${url.href}: ${origin}/robots.txt answered ${rules.status}, so the site is disallowed for now`,
          true,
        );
      case 'failed':
        return {
          allowed: false,
          error: new FetchError(
            rules.error.reason,
            url.href,
            `Not fetching ${url.href}: ${origin}/robots.txt could not be fetched (${rules.error.message})`,
            { cause: rules.error },
          ),
        };
    }
  }

  clear(): void {
    this.cache.clear();
  }

  private refuse(url: URL, message: string, retryable: boolean): RobotsVerdict {
    return { allowed: false, error: new FetchError('robots', url.href, message, { retryable }) };
  }

  private load(origin: string, proxy?: string): Promise<Rules> {
    let pending = this.inflight.get(origin);
    if (!pending) {
      pending = this.fetchRules(origin, proxy).finally(() => this.inflight.delete(origin));
      this.inflight.set(origin, pending);
    }
    return pending;
  }

  private async fetchRules(origin: string, proxy?: string): Promise<Rules> {
    const robotsUrl = `${origin}/robots.txt`;
    const result = await this.options.fetchRobots(robotsUrl, proxy);
    const rules = this.interpret(robotsUrl, result);
    const failed = rules.kind === 'unreachable' || rules.kind === 'failed';
    this.cache.set(origin, rules, failed ? { ttl: this.errorTtlMs } : undefined);
    if (failed) {
      const why = rules.kind === 'failed' ? rules.error.message : `status ${rules.status}`;
      this.options.logger?.warning(`robots.txt unavailable, not crawling ${origin} for now`, {
        url: robotsUrl,
        error: why,
      });
    }
    return rules;
  }

  private interpret(robotsUrl: string, result: RobotsFetchResult): Rules {
    if ('error' in result) {
      // A refused robots.txt hop (a redirect into a private range, too many redirects, a strange scheme) is
      // "unavailable" like a 4xx; only failures that may pass keep the site closed.
      return result.error.retryable ? { kind: 'failed', error: result.error } : { kind: 'allow-all' };
    }
    const { status } = result;
    if (status === 429 || status >= 500) return { kind: 'unreachable', status };
    if (status >= 400 || status < 200 || status >= 300) return { kind: 'allow-all' };
    const text = result.body.toString('utf8').replace(/^\uFEFF/, '');
    return { kind: 'parsed', robot: robotsParser(robotsUrl, text) };
  }
}

/** "Scrapy/1.5.0 (+https://scrapy.org)" → "Scrapy": robots.txt groups name products, not full agents. */
export function productToken(userAgent: string): string {
  const token = /^[^\s/]+/.exec(userAgent.trim())?.[0];
  return token ?? '*';
}
