import {
  createServer,
  STATUS_CODES,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { COMPRESSED, PDF, PNG, sendBig } from './bodies.js';
import { CHARSET_VIAS, charsetPage, type CharsetVia } from './charset.js';
import { LinkGraph, type PageLink } from './graph.js';
import { resolveOptions, type ResolvedTestWebOptions, type TestWebOptions } from './options.js';
import { renderPage, simplePage } from './pages.js';
import { hostName, RequestLog, type RecordedRequest } from './request-log.js';

export interface TestWeb {
  /** The port on 127.0.0.1; every site is served there, told apart by the Host header. */
  readonly port: number;
  readonly address: '127.0.0.1';
  readonly options: ResolvedTestWebOptions;
  readonly graph: LinkGraph;
  /** Requests served so far, oldest first (up to the `record` limit). */
  readonly requests: readonly RecordedRequest[];
  /** Requests served so far, including those past the `record` limit. */
  readonly requestCount: number;
  /** `d<index>.test` */
  host(domainIndex: number): string;
  /** `http://d<index>.test:<port><path>` */
  url(domainIndex: number, path?: string): string;
  /** The URL of page `page` (0 is the home page `/`). */
  pageUrl(domainIndex: number, page: number): string;
  /** Every HTML page of the graph, site by site: what a full crawl must publish. */
  allPageUrls(): string[];
  /** The links of a graph page, in document order; undefined when the URL is not a graph page. */
  linksOf(url: string): PageLink[] | undefined;
  /**
   * Graph pages reachable from `seedUrl` (through page, cross-site and redirect links), each with its depth
   * (the seed is 0). `maxDepth` stops expanding; `sameDomain` ignores links to other sites.
   */
  reachablePages(seedUrl: string, options?: { maxDepth?: number; sameDomain?: boolean }): Map<string, number>;
  /** Recorded requests whose Host was `host` (port optional). */
  requestsFor(host: string): RecordedRequest[];
  /** Forgets recorded requests and flaky counters. */
  reset(): void;
  /** Settings that let a Fetcher reach the test web: every `*.test` name → 127.0.0.1, and 127.0.0.1 allowed. */
  fetcherSettings(): { DNS_OVERRIDES: Record<string, string>; ALLOWED_ADDRESSES: string[] };
  close(): Promise<void>;
}

/** Starts the test web on 127.0.0.1 (a free port unless `port` is given). */
export async function startTestWeb(options: TestWebOptions = {}): Promise<TestWeb> {
  const resolved = resolveOptions(options);
  const web = new TestWebServer(resolved);
  await web.listen();
  return web;
}

class TestWebServer implements TestWeb {
  readonly address = '127.0.0.1' as const;
  graph!: LinkGraph;
  private readonly server: Server;
  private readonly log: RequestLog;
  private readonly flaky = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly slowPrefixes: [string, number][];
  private robotsBody = '';

  constructor(readonly options: ResolvedTestWebOptions) {
    this.log = new RequestLog(options.recordLimit);
    this.slowPrefixes = Object.entries(options.slowPaths);
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 10_000;
  }

  get port(): number {
    return this.graph.port;
  }

  get requests(): readonly RecordedRequest[] {
    return this.log.entries;
  }

  get requestCount(): number {
    return this.log.count;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.address, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const { port } = this.server.address() as AddressInfo;
    this.graph = new LinkGraph(this.options, port);
    this.robotsBody = [
      'User-agent: BadBot',
      'Disallow: /',
      '',
      'User-agent: *',
      ...this.options.robotsDisallow.map((path) => `Disallow: ${path}`),
      '',
    ].join('\n');
  }

  host(domainIndex: number): string {
    return this.graph.host(domainIndex);
  }

  url(domainIndex: number, path = '/'): string {
    return this.graph.origin(domainIndex) + path;
  }

  pageUrl(domainIndex: number, page: number): string {
    return this.graph.pageUrl(domainIndex, page);
  }

  allPageUrls(): string[] {
    return this.graph.allPageUrls();
  }

  linksOf(url: string): PageLink[] | undefined {
    return this.graph.linksOf(url);
  }

  reachablePages(seedUrl: string, options?: { maxDepth?: number; sameDomain?: boolean }) {
    return this.graph.reachablePages(seedUrl, options);
  }

  requestsFor(host: string): RecordedRequest[] {
    return this.log.for(host);
  }

  reset(): void {
    this.log.clear();
    this.flaky.clear();
  }

  fetcherSettings() {
    return { DNS_OVERRIDES: { '*.test': '127.0.0.1' }, ALLOWED_ADDRESSES: ['127.0.0.1/32'] };
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const hostHeader = req.headers.host ?? '';
    const target = req.url ?? '/';
    if (this.options.recordLimit > 0) {
      this.log.add(
        hostName(hostHeader),
        target,
        req.method ?? 'GET',
        req.headers,
        req.socket.remotePort ?? 0,
      );
    } else {
      this.log.count++;
    }
    for (const [prefix, ms] of this.slowPrefixes) {
      if (target.startsWith(prefix)) {
        this.later(ms, () => this.route(req, res, hostHeader, target));
        return;
      }
    }
    this.route(req, res, hostHeader, target);
  }

  private route(req: IncomingMessage, res: ServerResponse, hostHeader: string, target: string): void {
    if (res.destroyed) return;
    const q = target.indexOf('?');
    const path = q < 0 ? target : target.slice(0, q);
    const domain = this.graph.domainOf(hostHeader);
    const page = domain === undefined ? undefined : this.graph.pageOf(path);
    if (domain !== undefined && page !== undefined) {
      const send = () => html(res, 200, renderPage(this.graph, domain, page, this.options.pageBytes));
      if (this.options.latencyMs > 0) this.later(this.options.latencyMs, send);
      else send();
      return;
    }
    const query = new URLSearchParams(q < 0 ? '' : target.slice(q + 1));
    const slash = path.indexOf('/', 1);
    const head = slash < 0 ? path : path.slice(0, slash);
    const rest = slash < 0 ? '' : path.slice(slash + 1);
    switch (head) {
      case '/robots.txt':
        return this.robots(res, domain);
      case '/status':
        return this.status(res, Number(rest));
      case '/flaky':
        return this.flakyPage(res, hostName(hostHeader), rest, query);
      case '/slow':
        return this.slow(res, Number(rest), query.get('phase') === 'body');
      case '/redirect-to':
        return redirect(res, Number(query.get('code') ?? 302), query.get('url') ?? '/');
      case '/redirect':
        return redirect(res, 302, this.graph.pagePath(Number(rest) || 0));
      case '/redirect-loop':
        // /redirect-loop/x -> /redirect-loop/x-back -> /redirect-loop/x -> ... for ever.
        return redirect(
          res,
          302,
          rest.endsWith('-back') ? `/redirect-loop/${rest.slice(0, -5)}` : `/redirect-loop/${rest}-back`,
        );
      case '/redirect-chain': {
        const left = Number(rest);
        if (left > 0) return redirect(res, 302, `/redirect-chain/${left - 1}`);
        return html(res, 200, simplePage('End of the redirect chain'));
      }
      case '/gzip':
      case '/deflate':
      case '/deflate-raw':
      case '/br':
      case '/bad-gzip':
        return this.compressed(res, path);
      case '/charset':
        return this.charset(res, rest, query);
      case '/big':
        return sendBig(res, Math.max(0, Number(query.get('bytes') ?? 0) || 0), query.get('encoding'));
      case '/cookies':
        return text(res, 200, req.headers.cookie ?? '');
      case '/set-cookie': {
        const cookies = [...query].map(([name, value]) => `${name}=${value}; Path=/`);
        res.setHeader('set-cookie', cookies);
        return text(res, 200, 'cookies set');
      }
      case '/headers':
        return json(res, req.headers);
      case '/echo':
        return this.echo(req, res);
      case '/files':
        return binary(res, 'application/pdf', PDF);
      case '/img':
        return binary(res, 'image/png', PNG);
      case '/private':
        return html(res, 200, simplePage(`Private page ${rest}`));
      default:
        return html(res, 404, simplePage('Not found'));
    }
  }

  private robots(res: ServerResponse, domain: number | undefined): void {
    const status = domain === undefined ? undefined : this.options.robotsStatus[domain];
    if (status !== undefined) return text(res, status, `robots.txt answers ${status}`);
    text(res, 200, this.robotsBody);
  }

  private status(res: ServerResponse, code: number): void {
    if (!Number.isInteger(code) || code < 200 || code > 999) return text(res, 400, 'bad status code');
    if (code === 204 || code === 304) {
      res.writeHead(code);
      res.end();
      return;
    }
    html(res, code, simplePage(`Status ${code}`));
  }

  private flakyPage(res: ServerResponse, host: string, id: string, query: URLSearchParams): void {
    const key = `${host}|${id}`;
    const seen = (this.flaky.get(key) ?? 0) + 1;
    this.flaky.set(key, seen);
    const fail = Number(query.get('fail') ?? 1);
    const code = Number(query.get('code') ?? 503);
    if (seen <= fail) return html(res, code, simplePage(`Failure ${seen} of ${fail}`));
    html(res, 200, simplePage(`Flaky ${id} recovered`));
  }

  private slow(res: ServerResponse, ms: number, bodyPhase: boolean): void {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const page = simplePage(`Slow ${delay} ms`);
    if (!bodyPhase) return this.later(delay, () => html(res, 200, page));
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.write(page.slice(0, 20));
    this.later(delay, () => res.end(page.slice(20)));
  }

  private compressed(res: ServerResponse, path: string): void {
    const entry = COMPRESSED[path];
    if (!entry) return text(res, 404, 'no such encoding');
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-encoding': entry.encoding,
      'content-length': entry.body.length,
      vary: 'Accept-Encoding',
    });
    res.end(entry.body);
  }

  private charset(res: ServerResponse, label: string, query: URLSearchParams): void {
    const via = (query.get('via') ?? 'header') as CharsetVia;
    if (!CHARSET_VIAS.includes(via)) return text(res, 400, `via must be one of ${CHARSET_VIAS.join(', ')}`);
    const page = charsetPage(decodeURIComponent(label), via);
    if (typeof page === 'string') return text(res, 400, page);
    res.writeHead(200, { 'content-type': page.contentType, 'content-length': page.body.length });
    res.end(page.body);
  }

  private echo(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= 1 << 20) chunks.push(chunk);
    });
    req.on('end', () =>
      json(res, {
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      }),
    );
  }
}

function html(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, STATUS_CODES[status] ?? 'Unknown', {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, STATUS_CODES[status] ?? 'Unknown', {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

function json(res: ServerResponse, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function binary(res: ServerResponse, type: string, body: Buffer): void {
  res.writeHead(200, { 'content-type': type, 'content-length': body.length });
  res.end(body);
}

function redirect(res: ServerResponse, code: number, location: string): void {
  const status = [301, 302, 303, 307, 308].includes(code) ? code : 302;
  res.writeHead(status, { location, 'content-type': 'text/html; charset=utf-8', 'content-length': 0 });
  res.end();
}
