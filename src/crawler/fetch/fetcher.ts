import { request, type Dispatcher } from 'undici';
import { pause } from '../../core/backoff.js';
import { ClosedError } from '../../core/errors.js';
import type { Logger } from '../../core/logging/index.js';
import { AddressGuard } from './address-guard.js';
import { BodyTooLarge, readBody } from './body.js';
import { ByteBudget } from './byte-budget.js';
import { abortable, Deadline } from './deadline.js';
import { DnsOverrides } from './dns-overrides.js';
import { FetchError } from './errors.js';
import {
  BODY_HEADERS,
  cookieHeader,
  CREDENTIAL_HEADERS,
  firstHeader,
  lowerCaseKeys,
  type HeaderMap,
} from './headers.js';
import { GuardedResolver, ResolveFailure, type DnsLookup } from './resolver.js';
import { FetchedResponse } from './response.js';
import { fetchFailure, parseHttpUrl } from './fetch-failure.js';
import { fetcherSettings } from './fetcher-settings.js';
import { OriginPools } from './origin-pools.js';
import { Proxies } from './proxies.js';
import { RobotsCache, type RobotsFetchResult } from './robots.js';
import type { FetcherSettings, FetchRequest, FetchResponse } from './types.js';

export { parseHttpUrl };

export interface FetcherOptions {
  logger?: Logger;
  /** How long robots.txt rules are cached per origin (default 1 h). */
  robotsTtlMs?: number;
  /** How long a 5xx or unreachable robots.txt keeps its origin closed (default 60 s). */
  robotsErrorTtlMs?: number;
  /** How long a checked DNS answer is reused (default 60 s; DNSCACHE_ENABLED=false turns it off). */
  dnsTtlMs?: number;
  /** Idle keep-alive connections close after this long (default 4 s, undici's default). */
  keepAliveTimeoutMs?: number;
  /** Verify TLS certificates. Off by default, as in Scrapy: a crawler wants the page, not the proof. */
  verifyTls?: boolean;
  /** Replaces the system resolver (tests). */
  dnsLookup?: DnsLookup;
  /**
   * Share plain-HTTP connections between sites on the same address and port (HTTP/1.1 sends the Host header
   * with every request), so pools are per address rather than per origin. Saves a TCP connection per site when
   * many sites live on one server (shared hosting, the test web); CONCURRENT_REQUESTS_PER_DOMAIN then limits
   * connections per address. HTTPS stays per origin (TLS names the host). Off by default.
   */
  shareConnectionsPerAddress?: boolean;
  /**
   * Called before a page is sent to a site whose robots.txt sets a Crawl-delay (seconds, as the site
   * wrote it): resolves with the milliseconds to wait first (the crawler spaces fetches cluster-wide).
   */
  onCrawlDelay?: (url: URL, delaySeconds: number) => Promise<number>;
  /** Where HTTP_PROXY, HTTPS_PROXY and NO_PROXY are read (default process.env). */
  env?: Readonly<Record<string, string | undefined>>;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
// Scrapy's HttpCompressionMiddleware value (with brotli installed).
const ACCEPT_ENCODING = 'gzip,deflate,br';
// RFC 9309: follow at least five redirects, parse at least 500 KiB.
const ROBOTS_MAX_REDIRECTS = 5;
const ROBOTS_MAX_BYTES = 512 * 1024;

interface Mode {
  robots: boolean;
  maxRedirects: number;
  maxBytes: number;
  truncate: boolean;
  /** Whether bodies count against DOWNLOAD_MAXSIZE_TOTAL (pages; robots.txt has its own small cap). */
  budgeted: boolean;
}

/**
 * The crawler's downloader: undici with one keep-alive pool per origin, redirects followed here (each hop
 * resolved, address-checked and robots-checked again), bodies decoded from gzip/deflate/br under
 * DOWNLOAD_MAXSIZE, and DOWNLOAD_TIMEOUT over the whole call. No cookie jar: each request sends only its own
 * cookies.
 */
export class Fetcher {
  private readonly settings: FetcherSettings;
  private readonly agent: OriginPools;
  private readonly resolver: GuardedResolver;
  private readonly robots: RobotsCache;
  private readonly proxies: Proxies;
  private readonly onCrawlDelay: FetcherOptions['onCrawlDelay'];
  private readonly defaultHeaders: Readonly<HeaderMap>;
  private readonly timeoutMs: number;
  private readonly pageMode: Mode;
  private readonly robotsMode: Mode;
  private readonly sharePerAddress: boolean;
  /** Body bytes held by all downloads at once (DOWNLOAD_MAXSIZE_TOTAL). */
  readonly budget: ByteBudget;
  private readonly logger: Logger | undefined;
  private closed = false;

  constructor(settings: Partial<FetcherSettings> = {}, options: FetcherOptions = {}) {
    const s: FetcherSettings = fetcherSettings(settings);
    this.settings = s;
    this.timeoutMs = s.DOWNLOAD_TIMEOUT * 1000;
    this.sharePerAddress = options.shareConnectionsPerAddress ?? false;
    const defaults = lowerCaseKeys(s.DEFAULT_REQUEST_HEADERS);
    defaults['accept-encoding'] ??= ACCEPT_ENCODING;
    defaults['user-agent'] = s.USER_AGENT;
    this.defaultHeaders = Object.freeze(defaults);
    this.pageMode = {
      robots: s.ROBOTSTXT_OBEY,
      maxRedirects: s.REDIRECT_ENABLED ? s.REDIRECT_MAX_TIMES : -1,
      maxBytes: s.DOWNLOAD_MAXSIZE,
      truncate: false,
      budgeted: true,
    };
    this.robotsMode = {
      robots: false,
      maxRedirects: ROBOTS_MAX_REDIRECTS,
      maxBytes: ROBOTS_MAX_BYTES,
      truncate: true,
      budgeted: false,
    };
    this.budget = new ByteBudget(s.DOWNLOAD_MAXSIZE_TOTAL);
    this.logger = options.logger;
    this.resolver = new GuardedResolver({
      guard: new AddressGuard(s.ALLOWED_ADDRESSES),
      overrides: new DnsOverrides(s.DNS_OVERRIDES),
      ttlMs: s.DNSCACHE_ENABLED ? (options.dnsTtlMs ?? 60_000) : 0,
      ...(options.dnsLookup ? { dnsLookup: options.dnsLookup } : {}),
    });
    this.robots = new RobotsCache({
      userAgent: s.USER_AGENT,
      fetchRobots: (url, proxy) => this.fetchRobots(url, proxy),
      logger: options.logger,
      ttlMs: options.robotsTtlMs ?? 3_600_000,
      errorTtlMs: options.robotsErrorTtlMs ?? 60_000,
    });
    this.onCrawlDelay = options.onCrawlDelay;
    this.proxies = new Proxies(
      { setting: s.PROXY, env: options.env ?? process.env },
      {
        guardedLookup: this.resolver.lookup,
        connectTimeoutMs: this.timeoutMs,
        verifyTls: options.verifyTls ?? false,
      },
    );
    this.agent = new OriginPools(
      {
        connections: s.CONCURRENT_REQUESTS_PER_DOMAIN,
        pipelining: 1,
        keepAliveTimeout: options.keepAliveTimeoutMs ?? 4_000,
        // The Deadline governs; these only stop a connection that outlives it.
        headersTimeout: this.timeoutMs + 1_000,
        bodyTimeout: this.timeoutMs + 1_000,
        connect: {
          timeout: this.timeoutMs,
          lookup: this.resolver.lookup,
          rejectUnauthorized: options.verifyTls ?? false,
        },
      },
      s.KEEPALIVE_MAX_ORIGINS,
    );
  }

  /** Fetches one URL. Fails with a FetchError (see its `reason` and `retryable`); never for an HTTP status. */
  async fetch(req: FetchRequest, signal?: AbortSignal): Promise<FetchResponse> {
    if (this.closed) throw new ClosedError('Fetcher');
    const started = performance.now();
    const deadline = new Deadline(this.timeoutMs, signal);
    try {
      return await this.follow(req, deadline, started, this.pageMode);
    } finally {
      deadline.dispose();
    }
  }

  /** Whether robots.txt lets the crawler fetch `url` (always true when ROBOTSTXT_OBEY is off). */
  async isAllowedByRobots(url: string): Promise<boolean> {
    if (!this.settings.ROBOTSTXT_OBEY) return true;
    const verdict = await this.robots.check(parseHttpUrl(url));
    return verdict.allowed;
  }

  /** Waits for requests in flight, then closes every connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.agent.close(), this.proxies.close()]);
  }

  private async follow(req: FetchRequest, deadline: Deadline, started: number, mode: Mode) {
    let hop = parseHttpUrl(req.url);
    let method = (req.method ?? 'GET').toUpperCase();
    let body = req.body || undefined;
    let headers = this.requestHeaders(req);
    const redirects: string[] = [];
    for (;;) {
      const res = await this.exchange(hop, method, headers, body, deadline, mode, req.proxy);
      const location = REDIRECT_STATUSES.has(res.statusCode)
        ? firstHeader(res.headers, 'location')
        : undefined;
      if (location !== undefined && mode.maxRedirects >= 0) {
        await res.body.dump().catch(() => undefined);
        if (redirects.length >= mode.maxRedirects) {
          throw new FetchError(
            'too-many-redirects',
            req.url,
            `Gave up on ${req.url}: more than ${mode.maxRedirects} redirects`,
          );
        }
        const next = parseHttpUrl(location, hop);
        redirects.push(hop.href);
        // Scrapy 1.5: 302/303 become GET (except HEAD); 301/307/308 keep the method and body.
        const drop: string[] = [];
        if ((res.statusCode === 302 || res.statusCode === 303) && method !== 'HEAD') {
          method = 'GET';
          body = undefined;
          drop.push(...BODY_HEADERS);
        }
        if (next.hostname !== hop.hostname) drop.push(...CREDENTIAL_HEADERS);
        if (drop.some((name) => name in headers)) headers = without(headers, drop);
        hop = next;
        continue;
      }
      return this.finish(req.url, hop, method, headers, res, redirects, deadline, started, mode);
    }
  }

  /** One hop: address check, robots check, then the HTTP exchange up to the response headers. */
  private async exchange(
    hop: URL,
    method: string,
    headers: Readonly<HeaderMap>,
    body: string | undefined,
    deadline: Deadline,
    mode: Mode,
    requestedProxy: string | null | undefined,
  ): Promise<Dispatcher.ResponseData> {
    const { signal } = deadline;
    try {
      const proxy =
        this.proxies.configured || requestedProxy ? this.proxies.choose(hop, requestedProxy) : undefined;
      // Cached answers are used synchronously: most requests go to hosts already resolved and robots-checked.
      let address = this.resolver.cached(hop.hostname);
      if (address === undefined) address = await abortable(this.resolver.resolve(hop.hostname), signal);
      else if (address instanceof ResolveFailure) throw address;
      if (mode.robots) {
        const verdict =
          this.robots.cached(hop) ?? (await abortable(this.robots.check(hop, proxy?.url.href), signal));
        if (!verdict.allowed) throw verdict.error;
        const delay = this.onCrawlDelay ? this.robots.crawlDelay(hop) : undefined;
        if (delay !== undefined) {
          const waitMs = await abortable(this.onCrawlDelay!(hop, delay), signal);
          if (waitMs > 0) await abortable(pause(waitMs), signal);
        }
      }
      let target: URL | string = hop;
      let sent = headers;
      if (proxy) {
        // The target passed the guard above; a proxy a crawl request named must pass it too.
        if (proxy.guarded) {
          const checked = await abortable(this.resolver.resolve(proxy.url.hostname), signal);
          if (checked instanceof ResolveFailure) throw checked;
        }
        return await request(hop, {
          dispatcher: this.proxies.agent(proxy),
          method,
          // A copy: the proxy agent adds Host to the headers it is given (ours may be the frozen defaults).
          headers: { ...headers },
          body: body ?? null,
          signal: signal as unknown as AbortSignal,
        });
      }
      if (this.sharePerAddress && hop.protocol === 'http:') {
        // Pool by checked address: one connection serves every plain-HTTP site on that address and port.
        const ip = address.family === 6 ? `[${address.address}]` : address.address;
        target = `http://${ip}:${hop.port || '80'}${hop.pathname}${hop.search}`;
        sent = { ...headers, host: hop.host };
      }
      return await request(target, {
        dispatcher: this.agent,
        method,
        headers: sent,
        body: body ?? null,
        // undici only needs aborted, reason and add/removeEventListener from a signal.
        signal: signal as unknown as AbortSignal,
      });
    } catch (err) {
      throw fetchFailure(err, hop.href, deadline, this.settings.DOWNLOAD_TIMEOUT);
    }
  }

  private async finish(
    requested: string,
    hop: URL,
    method: string,
    headers: Readonly<HeaderMap>,
    res: Dispatcher.ResponseData,
    redirects: string[],
    deadline: Deadline,
    started: number,
    mode: Mode,
  ): Promise<FetchedResponse> {
    const contentEncoding = method === 'HEAD' ? undefined : firstHeader(res.headers, 'content-encoding');
    let read;
    // Released once the body is in: the budget bounds bodies being downloaded; the engine's item limit
    // bounds the pages being parsed and published after that.
    const reservation = mode.budgeted ? this.budget.open() : undefined;
    try {
      const declared = Number(firstHeader(res.headers, 'content-length'));
      if (mode.maxBytes > 0 && !mode.truncate && !contentEncoding && declared > mode.maxBytes) {
        throw new BodyTooLarge(mode.maxBytes);
      }
      // HEAD, 204 and 304 answers declare the length of a body they do not send.
      const bodyless = method === 'HEAD' || res.statusCode === 204 || res.statusCode === 304;
      if (reservation && !bodyless && !contentEncoding && Number.isSafeInteger(declared) && declared > 0)
        await reservation.reserve(declared, deadline.signal);
      read = await readBody(res.body, {
        contentEncoding,
        maxBytes: mode.maxBytes,
        truncate: mode.truncate,
        ...(reservation ? { reservation, signal: deadline.signal } : {}),
      });
    } catch (err) {
      res.body.destroy();
      throw fetchFailure(err, hop.href, deadline, this.settings.DOWNLOAD_TIMEOUT);
    } finally {
      reservation?.release();
    }
    const warnSize = this.settings.DOWNLOAD_WARNSIZE;
    if (mode.budgeted && warnSize > 0 && read.body.length > warnSize) {
      this.logger?.warning('Response body larger than DOWNLOAD_WARNSIZE', {
        url: hop.href,
        bytes: read.body.length,
        warnsize: warnSize,
      });
    }
    return new FetchedResponse({
      url: requested,
      finalUrl: hop.href,
      status: res.statusCode,
      rawHeaders: res.headers,
      decoded: read.decoded,
      sentHeaders: headers,
      body: read.body,
      redirects,
      elapsedMs: performance.now() - started,
    });
  }

  /** The headers of a request; the shared default set when it adds nothing (copied before any change). */
  private requestHeaders(req: FetchRequest): Readonly<HeaderMap> {
    const extra = req.headers && Object.keys(req.headers).length > 0 ? req.headers : undefined;
    const agent = req.userAgent ?? this.settings.USER_AGENT;
    if (!extra && req.cookies == null && agent === this.settings.USER_AGENT) return this.defaultHeaders;
    const headers: HeaderMap = { ...this.defaultHeaders, 'user-agent': agent };
    if (extra) for (const [name, value] of Object.entries(extra)) headers[name.toLowerCase()] = value;
    if (req.cookies != null && headers.cookie === undefined) {
      const cookie = cookieHeader(req.cookies);
      if (cookie !== undefined) headers.cookie = cookie;
    }
    return headers;
  }

  /** robots.txt through the same guarded path, on its own deadline: many page fetches may wait for it. */
  private async fetchRobots(url: string, proxy?: string): Promise<RobotsFetchResult> {
    const deadline = new Deadline(this.timeoutMs);
    try {
      const res = await this.follow(
        { url, proxy: proxy ?? null },
        deadline,
        performance.now(),
        this.robotsMode,
      );
      // The page requests waiting for these rules go out as soon as this returns. undici frees the
      // connection only after this turn of the event loop, so without the wait the first of them would open
      // a second connection to the site instead of reusing this one.
      await new Promise((resolve) => setImmediate(resolve));
      return { status: res.status, body: res.body };
    } catch (err) {
      return { error: fetchFailure(err, url, deadline, this.settings.DOWNLOAD_TIMEOUT) };
    } finally {
      deadline.dispose();
    }
  }
}

function without(headers: Readonly<HeaderMap>, names: readonly string[]): HeaderMap {
  const copy = { ...headers };
  for (const name of names) delete copy[name];
  return copy;
}
