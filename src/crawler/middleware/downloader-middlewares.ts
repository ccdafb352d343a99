import type { RankedPlugin } from '../../core/plugins.js';
import type { FetchedPage, FetchInput, PageFetcher } from '../engine/ports.js';
import type { Spider } from '../spider/spider.js';
import { ExtensionError, runHook } from './errors.js';
import type { DownloaderMiddleware, DownloadRequest, DownloadResponse, MadeResponse } from './types.js';

/**
 * DOWNLOADER_MIDDLEWARES around the fetcher, as Scrapy runs them: processRequest in rank order (a stage
 * answering with a response skips the site and the stages after it), then the download, then
 * processException in reverse order when it failed (a response recovers), then processResponse in
 * reverse order. Every hook is bounded by DOWNLOAD_TIMEOUT; one that throws or hangs fails the request
 * with a `middleware-error` / `middleware-timeout` record. The fetcher below keeps its own guards
 * (address guard, robots.txt, size limits): a middleware cannot switch those off, only change the request.
 */
export function downloaderChain(
  inner: PageFetcher,
  stages: readonly RankedPlugin<DownloaderMiddleware>[],
  spider: Spider,
  timeoutMs: number,
): PageFetcher {
  if (stages.every(({ plugin }) => !hasHooks(plugin))) return inner;
  // User hooks are bounded (a timer each); the built-in cookie hook is synchronous and ours, so the
  // default chain adds no timer per request.
  const hook = <T>(id: string, method: string, call: () => T | Promise<T>): Promise<T> =>
    TRUSTED.has(id)
      ? Promise.resolve(call())
      : runHook({ setting: 'DOWNLOADER_MIDDLEWARES', component: id, method }, timeoutMs, call);
  return {
    async fetch(input, signal) {
      const request = downloadRequest(input);
      let response: DownloadResponse | undefined;
      let ran = stages.length;
      for (let i = 0; i < stages.length && !response; i++) {
        const { id, plugin } = stages[i]!;
        if (!plugin.processRequest) continue;
        const made = await hook(id, 'processRequest', () => plugin.processRequest!(request, spider));
        if (made) {
          response = madeResponse(made, request, id);
          ran = i + 1;
        }
      }
      if (!response) {
        try {
          response = await inner.fetch(fetchInput(request, input), signal);
        } catch (err) {
          if (signal?.aborted || !(err instanceof Error)) throw err;
          for (const { id, plugin } of [...stages].reverse()) {
            if (!plugin.processException) continue;
            const made = await hook(id, 'processException', () =>
              plugin.processException!(request, err, spider),
            );
            if (made) {
              response = madeResponse(made, request, id);
              break;
            }
          }
          if (!response) throw err;
        }
      }
      // Only the stages whose processRequest ran see the response, as in Scrapy.
      for (const { id, plugin } of stages.slice(0, ran).reverse()) {
        if (!plugin.processResponse) continue;
        const current = response;
        const next = await hook(id, 'processResponse', () =>
          plugin.processResponse!(request, current, spider),
        );
        response = madeResponse(next, request, id);
      }
      return response;
    },
    close: () => inner.close(),
  };
}

/** Built-in stages with hooks, run without the DOWNLOAD_TIMEOUT bound (see extensions.ts). */
const TRUSTED: ReadonlySet<string> = new Set(['CustomCookiesMiddleware']);

/** Whether a stage has any hook (the built-in switches have none). */
export function hasHooks(plugin: DownloaderMiddleware): boolean {
  return HOOKS.some((hook) => typeof plugin[hook] === 'function');
}

const HOOKS = ['processRequest', 'processResponse', 'processException'] as const;

/** The request as middlewares see it: a copy they may change freely. */
function downloadRequest(input: FetchInput): DownloadRequest {
  return {
    url: input.url,
    method: input.method,
    headers: { ...input.headers },
    body: input.body,
    cookies: input.cookies,
    meta: { ...input.meta },
  };
}

/** What the fetcher gets after the middlewares: the changed request; the User-Agent from `meta.useragent`. */
function fetchInput(request: DownloadRequest, input: FetchInput): FetchInput {
  const useragent = request.meta.useragent;
  return {
    ...input,
    url: request.url,
    method: request.method,
    headers: request.headers,
    body: request.body,
    cookies: request.cookies,
    meta: request.meta,
    userAgent: typeof useragent === 'string' ? useragent : input.userAgent,
    proxy: typeof request.meta.proxy === 'string' ? request.meta.proxy : null,
  };
}

/** A response made or changed by a middleware, completed with defaults; anything else is its error. */
function madeResponse(made: unknown, request: DownloadRequest, id: string): FetchedPage {
  const value = made as Partial<MadeResponse> | null;
  if (!value || typeof value !== 'object' || !Number.isInteger(value.status)) {
    return rejectResponse(id, 'a response needs an integer status');
  }
  const body = value.body ?? Buffer.alloc(0);
  return {
    url: value.url ?? request.url,
    finalUrl: value.finalUrl ?? value.url ?? request.url,
    status: value.status!,
    statusText: value.statusText ?? '',
    headers: value.headers ?? {},
    requestHeaders:
      value.requestHeaders ?? Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, [v]])),
    body: typeof body === 'string' ? Buffer.from(body) : body,
    encoding: value.encoding ?? 'utf-8',
  };
}

function rejectResponse(id: string, why: string): never {
  throw new ExtensionError(
    'middleware-error',
    `DOWNLOADER_MIDDLEWARES ${id} answered with no usable response: ${why}`,
    {
      component: id,
    },
  );
}
