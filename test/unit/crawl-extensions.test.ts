/**
 * ITEM_PIPELINES, DOWNLOADER_MIDDLEWARES and SPIDER_MIDDLEWARES: loading (built-ins by name, user modules
 * by path, null removes, clear errors), the order and semantics of each chain, failures and hangs of user
 * code turned into one failure record, and the shipped examples (examples/) through a real crawl of the
 * test web on the in-memory cluster.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SettingsError } from '../../src/core/errors.js';
import { BadPatternError } from '../../src/core/user-regex.js';
import { FetchError } from '../../src/crawler/fetch/errors.js';
import { createLogger } from '../../src/core/logging/index.js';
import { resolveSettings } from '../../src/settings.js';
import type { FetchedPage, FetchInput, PageFetcher } from '../../src/crawler/engine/ports.js';
import { downloaderChain } from '../../src/crawler/middleware/downloader-middlewares.js';
import { ExtensionError } from '../../src/crawler/middleware/errors.js';
import { KafkaPipelineStage, LoggingBeforePipeline } from '../../src/crawler/middleware/built-ins.js';
import { loadExtensions } from '../../src/crawler/middleware/extensions.js';
import { ItemPipelineChain } from '../../src/crawler/middleware/item-pipelines.js';
import { spiderOutputChain } from '../../src/crawler/middleware/spider-middlewares.js';
import {
  DropItem,
  type DownloaderMiddleware,
  type ItemPipeline,
} from '../../src/crawler/middleware/types.js';
import type { CrawlResult } from '../../src/crawler/pipeline/item.js';
import { CrawlResponse, LinkSpider, type SpiderOutput } from '../../src/crawler/spider/index.js';
import { startStandalone, type StandaloneCluster } from '../../src/standalone/index.js';
import { startTestWeb, type TestWeb } from '../../src/testweb/index.js';
import { captureLogger, waitFor } from '../support/capture-logger.js';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURES = join(ROOT, 'test/fixtures/extensions');
const quiet = createLogger({ name: 'ext', level: 'CRITICAL', destination: { write: () => true } });
const spider = new LinkSpider({ logger: quiet });

function settingsWith(overrides: Record<string, unknown>) {
  return resolveSettings('crawler', { env: {}, overrides });
}

function item(url: string, extra: Partial<CrawlResult> = {}): CrawlResult {
  return {
    appid: 'a',
    crawlid: 'c',
    url,
    response_url: url,
    status_code: 200,
    status_msg: 'OK',
    response_headers: {},
    request_headers: {},
    body: Buffer.from('<html></html>'),
    links: [],
    attrs: null,
    encoding: 'utf-8',
    ...extra,
  };
}

type Publish = (item: CrawlResult) => Promise<'published'>;
const publishNothing: Publish = async () => 'published';

/** The chains of these settings (over the defaults), publishing with `publish`. */
function extensions(settings: Record<string, unknown> = {}, publish: Publish = publishNothing) {
  return loadExtensions({
    settings: settingsWith(settings),
    spider,
    logger: quiet,
    kafka: { publish },
    timeoutMs: 1000,
  });
}

/** The default pipelines with `pipelines` at rank 50 (before Kafka), publishing into `published`. */
function pipelineChain(pipelines: Record<string, ItemPipeline>, published: CrawlResult[], timeoutMs = 2000) {
  const dropped: string[] = [];
  const stages = [
    { id: 'LoggingBeforePipeline', rank: 1, plugin: new LoggingBeforePipeline(quiet) },
    ...Object.entries(pipelines).map(([id, plugin]) => ({ id, rank: 50, plugin })),
    {
      id: 'KafkaPipeline',
      rank: 100,
      plugin: new KafkaPipelineStage({ publish: async (i) => (published.push(i), 'published') }),
    },
  ];
  const chain = new ItemPipelineChain(stages, spider, {
    logger: quiet,
    timeoutMs,
    onDropped: (stage, reason) => dropped.push(`${stage}: ${reason}`),
  });
  return { chain, dropped };
}

describe('loading the extension settings', () => {
  it('loads the built-ins under the original names, in rank order', async () => {
    const ext = await extensions();
    expect(ext.items.names).toEqual(['LoggingBeforePipeline', 'KafkaPipeline']);
    expect(ext.downloader.map((d) => d.id)).toEqual([
      'RedisRetryMiddleware',
      'LogRetryMiddleware',
      'CustomCookiesMiddleware',
    ]);
    expect(ext.spider.map((d) => d.id)).toEqual(['MetaPassthroughMiddleware', 'RedisStatsMiddleware']);
    expect([ext.has('retry'), ext.has('retry-log'), ext.has('status-stats')]).toEqual([true, true, true]);
  });

  it('adds a user module from a JSON map in the environment, keeps the built-ins, and null removes one', async () => {
    const recorder = join(FIXTURES, 'recorder.mjs');
    const settings = resolveSettings('crawler', {
      env: {
        ITEM_PIPELINES: JSON.stringify({ [recorder]: 300, KafkaPipeline: null }),
        DOWNLOADER_MIDDLEWARES: JSON.stringify({ [`${recorder}#Named`]: 543, RedisRetryMiddleware: null }),
      },
    });
    const ext = await loadExtensions({
      settings,
      spider,
      logger: quiet,
      kafka: { publish: async () => 'published' },
      timeoutMs: 1000,
    });
    expect(ext.items.names).toEqual(['LoggingBeforePipeline', recorder]);
    expect(ext.downloader.map((d) => d.id)).toEqual([
      'LogRetryMiddleware',
      `${recorder}#Named`,
      'CustomCookiesMiddleware',
    ]);
    expect(ext.has('retry')).toBe(false);
    const { seen } = (await import(recorder)) as { seen: unknown[] };
    expect(seen).toContainEqual({ spiderName: 'link', hasSettings: true });
  });

  it('refuses to start with a clear error naming the setting and the module', async () => {
    const load = (settings: Record<string, unknown>) => extensions(settings);
    const noMethod = join(FIXTURES, 'no-method.mjs');
    await expect(load({ ITEM_PIPELINES: { [noMethod]: 300 } })).rejects.toThrow(
      new SettingsError(`Setting ITEM_PIPELINES: ${noMethod} has no processItem(item, spider) method`),
    );
    const broken = join(FIXTURES, 'syntax-error.mjs');
    await expect(load({ SPIDER_MIDDLEWARES: { [broken]: 300 } })).rejects.toThrow(
      /^Setting SPIDER_MIDDLEWARES: .*syntax-error\.mjs could not be loaded from/,
    );
    await expect(load({ DOWNLOADER_MIDDLEWARES: { CustomCookiesMidleware: 700 } })).rejects.toThrow(
      /^Setting DOWNLOADER_MIDDLEWARES: CustomCookiesMidleware could not be loaded .*\(built-ins: RedisRetryMiddleware, LogRetryMiddleware, CustomCookiesMiddleware\)/,
    );
    await expect(load({ ITEM_PIPELINES: { [`${noMethod}#Missing`]: 1 } })).rejects.toThrow(
      /has no export named Missing/,
    );
  });
});

describe('the item pipeline chain', () => {
  it('passes every item through the stages in order; a stage may change it, and Kafka gets the change', async () => {
    const published: CrawlResult[] = [];
    const tagger: ItemPipeline = { processItem: (i) => ({ ...i, tagged: true }) };
    const { chain } = pipelineChain({ tagger }, published);
    expect(await chain.process(item('http://a.test/'))).toBe('published');
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({ url: 'http://a.test/', tagged: true });
  });

  it('drops an item on DropItem: counted with the reason, not published', async () => {
    const published: CrawlResult[] = [];
    const dropper: ItemPipeline = {
      processItem: (i) => {
        if (i.url.includes('private')) throw new DropItem('private page');
        return i;
      },
    };
    const { chain, dropped } = pipelineChain({ dropper }, published);
    expect(await chain.process(item('http://a.test/private'))).toBe('dropped');
    expect(await chain.process(item('http://a.test/public'))).toBe('published');
    expect(published.map((i) => i.url)).toEqual(['http://a.test/public']);
    expect(dropped).toEqual(['dropper: private page']);
  });

  it('fails an item whose stage throws, hangs or returns nothing: one pipeline-error record goes out instead', async () => {
    const published: CrawlResult[] = [];
    const thrower: ItemPipeline = {
      processItem: (i) => {
        if (i.url.endsWith('/throw')) throw new Error('disk full');
        if (i.url.endsWith('/hang')) return new Promise<CrawlResult>(() => undefined);
        if (i.url.endsWith('/nothing')) return undefined as unknown as CrawlResult;
        return i;
      },
    };
    const { chain } = pipelineChain({ thrower }, published, 200);
    for (const path of ['/throw', '/hang', '/nothing']) {
      expect(await chain.process(item(`http://a.test${path}`))).toBe('failed');
    }
    expect(published.map((i) => [i.url, i.error?.reason, i.body])).toEqual([
      ['http://a.test/throw', 'pipeline-error', ''],
      ['http://a.test/hang', 'pipeline-error', ''],
      ['http://a.test/nothing', 'pipeline-error', ''],
    ]);
    expect(published.map((i) => i.error?.message)).toEqual([
      'ITEM_PIPELINES thrower.processItem failed: disk full',
      'ITEM_PIPELINES thrower.processItem did not answer within 0 s',
      'ITEM_PIPELINES thrower.processItem returned undefined instead of the item (return the item, or throw DropItem to drop it)',
    ]);
  });

  it('lets a Kafka error through unchanged, for the engine to ride out the outage', async () => {
    const ext = await extensions({}, () => Promise.reject(new Error('broker down')));
    await expect(ext.items.process(item('http://a.test/'))).rejects.toThrow('broker down');
  });

  it('calls open and close once, close in reverse order even when one fails', async () => {
    const calls: string[] = [];
    const stage = (name: string, failClose = false): ItemPipeline => ({
      open: () => void calls.push(`open ${name}`),
      close: () => {
        calls.push(`close ${name}`);
        if (failClose) throw new Error('nope');
      },
      processItem: (i) => i,
    });
    const { chain } = pipelineChain({ first: stage('first', true), second: stage('second') }, []);
    await chain.open();
    await chain.close();
    expect(calls).toEqual(['open first', 'open second', 'close second', 'close first']);
  });
});

/** A fetcher that records what reached it and answers 200 (or fails for URLs ending in /fail). */
function fakeFetcher(seen: FetchInput[]): PageFetcher {
  return {
    fetch: async (input) => {
      seen.push(input);
      if (input.url.endsWith('/fail')) throw new FetchError('connect', input.url, 'connection refused');
      return page(input.url, 200);
    },
    close: async () => undefined,
  };
}

function page(url: string, status: number): FetchedPage {
  return {
    url,
    finalUrl: url,
    status,
    statusText: 'OK',
    headers: {},
    requestHeaders: {},
    body: Buffer.from('site'),
    encoding: 'utf-8',
  };
}

function input(url: string): FetchInput {
  return {
    url,
    method: 'GET',
    headers: {},
    body: '',
    cookies: null,
    userAgent: null,
    meta: { crawlid: 'c1' },
  };
}

const ranked = (stages: Record<string, DownloaderMiddleware>) =>
  Object.entries(stages).map(([id, plugin], i) => ({ id, rank: i, plugin }));

describe('the downloader middleware chain', () => {
  it('runs processRequest in rank order and processResponse in reverse; the site sees the changed request', async () => {
    const seen: FetchInput[] = [];
    const order: string[] = [];
    const mw = (name: string): DownloaderMiddleware => ({
      processRequest: (request) => {
        order.push(`request ${name}`);
        request.headers[`X-${name}`] = '1';
        request.meta.useragent = `agent-${name}`;
      },
      processResponse: (_request, response) => {
        order.push(`response ${name}`);
        return { ...response, headers: { ...response.headers, [`x-${name}`]: ['seen'] } };
      },
    });
    const chain = downloaderChain(fakeFetcher(seen), ranked({ a: mw('a'), b: mw('b') }), spider, 1000);
    const response = await chain.fetch(input('http://a.test/'));
    expect(order).toEqual(['request a', 'request b', 'response b', 'response a']);
    expect(seen[0]).toMatchObject({ headers: { 'X-a': '1', 'X-b': '1' }, userAgent: 'agent-b' });
    expect(response.headers).toEqual({ 'x-b': ['seen'], 'x-a': ['seen'] });
  });

  it('answers without the site when processRequest returns a response; processException can recover', async () => {
    const seen: FetchInput[] = [];
    const cache: DownloaderMiddleware = {
      processRequest: (request) =>
        request.url.endsWith('/cached') ? { status: 203, body: 'from cache' } : undefined,
      processException: (request, error) => ({
        status: 599,
        body: `recovered: ${error.message} for ${request.url}`,
      }),
    };
    const chain = downloaderChain(fakeFetcher(seen), ranked({ cache }), spider, 1000);
    const cached = await chain.fetch(input('http://a.test/cached'));
    expect([cached.status, cached.body.toString(), cached.finalUrl]).toEqual([
      203,
      'from cache',
      'http://a.test/cached',
    ]);
    const recovered = await chain.fetch(input('http://a.test/fail'));
    expect([recovered.status, recovered.body.toString()]).toEqual([
      599,
      'recovered: connection refused for http://a.test/fail',
    ]);
    expect(seen.map((s) => s.url)).toEqual(['http://a.test/fail']);
  });

  it('fails the request with a middleware-error or middleware-timeout, never a retry, when a hook throws or hangs', async () => {
    const seen: FetchInput[] = [];
    const bad: DownloaderMiddleware = {
      processRequest: (request) => {
        if (request.url.endsWith('/throw')) throw new Error('bug');
        if (request.url.endsWith('/hang')) return new Promise(() => undefined);
        if (request.url.endsWith('/junk')) return { status: 'yes' } as unknown as { status: number };
      },
    };
    const chain = downloaderChain(fakeFetcher(seen), ranked({ bad }), spider, 150);
    const failures = [];
    for (const path of ['/throw', '/hang', '/junk']) {
      const err = await chain.fetch(input(`http://a.test${path}`)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ExtensionError);
      failures.push([(err as ExtensionError).reason, (err as ExtensionError).retryable]);
    }
    expect(failures).toEqual([
      ['middleware-error', false],
      ['middleware-timeout', false],
      ['middleware-error', false],
    ]);
    expect(seen).toEqual([]);
  });
});

describe('the spider middleware chain', () => {
  const response = new CrawlResponse({
    request: { url: 'http://a.test/', meta: { crawlid: 'c1', appid: 'a', curdepth: 0 } },
    finalUrl: 'http://a.test/',
    status: 200,
    headers: {},
    requestHeaders: {},
    body: Buffer.from(''),
    encoding: 'utf-8',
  });
  async function* spiderOutput(fail = false): AsyncIterable<SpiderOutput> {
    yield { url: 'http://a.test/1', meta: { curdepth: 1 } };
    if (fail) throw new BadPatternError('bad regex');
    yield { url: 'http://a.test/2', meta: { curdepth: 1 } };
  }
  const collect = async (it: AsyncIterable<SpiderOutput>) => {
    const out: SpiderOutput[] = [];
    for await (const o of it) out.push(o);
    return out;
  };

  it('filters and changes the spider output; MetaPassthrough fills requests built by hand', async () => {
    const ext = await extensions();
    const onlyOdd = {
      async *processSpiderOutput(_r: unknown, result: AsyncIterable<SpiderOutput>) {
        for await (const o of result) if (o.url.endsWith('1')) yield o;
      },
    };
    const chain = spiderOutputChain([...ext.spider, { id: 'onlyOdd', rank: 500, plugin: onlyOdd }], spider);
    expect(await collect(chain(response, spiderOutput()))).toEqual([
      { url: 'http://a.test/1', meta: { crawlid: 'c1', appid: 'a', curdepth: 1 } },
    ]);
  });

  it("passes the spider's own errors through and blames a middleware's on it", async () => {
    const broken = {
      // eslint-disable-next-line require-yield
      async *processSpiderOutput(): AsyncIterable<SpiderOutput> {
        throw new Error('middleware bug');
      },
    };
    const passthrough = {
      async *processSpiderOutput(_r: unknown, result: AsyncIterable<SpiderOutput>) {
        yield* result;
      },
    };
    const ok = spiderOutputChain([{ id: 'passthrough', rank: 1, plugin: passthrough }], spider);
    await expect(collect(ok(response, spiderOutput(true)))).rejects.toMatchObject({ reason: 'bad-regex' });
    const bad = spiderOutputChain([{ id: 'broken', rank: 1, plugin: broken }], spider);
    const err = await collect(bad(response, spiderOutput())).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExtensionError);
    expect((err as ExtensionError).reason).toBe('middleware-error');
    expect((err as ExtensionError).message).toBe('SPIDER_MIDDLEWARES (broken) failed: middleware bug');
  });
});

describe('the examples, through a real crawl of the test web (in-memory cluster)', () => {
  let web: TestWeb;
  let cluster: StandaloneCluster;
  let dir: string;
  let output: string;
  let jsonl: string;
  const { logger } = captureLogger('standalone', 'WARNING');

  beforeAll(async () => {
    web = await startTestWeb({ domains: 1, pagesPerDomain: 12, linksPerPage: 4 });
    dir = mkdtempSync(join(tmpdir(), 'sc-extensions-'));
    output = join(dir, 'crawled.jsonl');
    jsonl = join(dir, 'items.jsonl');
    cluster = await startStandalone({
      env: {},
      overrides: {
        ...web.fetcherSettings(),
        QUEUE_HITS: 100,
        QUEUE_WINDOW: 1,
        QUEUE_MODERATED: false,
        SCHEDULER_QUEUE_REFRESH: 0.3,
        KAFKA_PRODUCER_BATCH_LINGER_MS: 5,
        STATS_DUMP: 0,
        ITEM_PIPELINES: {
          [join(ROOT, 'examples/filter-pipeline.mjs')]: 50,
          [join(ROOT, 'examples/jsonl-pipeline.mjs')]: 300,
        },
        DOWNLOADER_MIDDLEWARES: { [join(ROOT, 'examples/header-middleware.mjs')]: 543 },
        SPIDER_MIDDLEWARES: { [join(ROOT, 'examples/skip-urls-middleware.mjs')]: 500 },
        JSONL_FILE: jsonl,
        DROP_URL_REGEX: '/page/[0-4]$',
        SKIP_URL_REGEX: '/page/1[01]$',
      },
      output,
      port: 0,
      host: '127.0.0.1',
      logger,
      graceSeconds: 1,
    });
  });

  afterAll(async () => {
    await cluster?.close();
    await web?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('drops and tags pages on their way to the topic, writes the kept ones to JSON lines, sends the header, skips URLs', async () => {
    const crawlid = `c${randomUUID().slice(0, 6)}`;
    const seed = web.url(0, '/');
    const expected = reachableSkipping(web, seed, 2, /\/page\/1[01]$/);
    expect(expected.length).toBeGreaterThan(3);
    const dropped = expected.filter((url) => /\/page\/[0-4]$/.test(url));
    const kept = expected.filter((url) => !dropped.includes(url));
    expect(dropped.length).toBeGreaterThan(0);
    const response = await fetch(`${cluster.url}/feed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: seed, appid: 'testapp', crawlid, maxdepth: 2 }),
    });
    expect(response.status).toBe(200);
    const records = (file: string) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((r) => r.crawlid === crawlid);
    await waitFor(() => records(output).length >= kept.length, 20_000, `${kept.length} pages on the topic`);
    // Every page was fetched (the drops happen after the download, in the pipeline).
    await waitFor(
      () =>
        expected.every((url) =>
          web.requests.some((r) => url.endsWith(r.path) && r.headers['x-crawl-id'] === crawlid),
        ),
      10_000,
      'every page fetched with the header',
    );
    const onTopic = records(output);
    expect(web.requests.filter((r) => /\/page\/1[01]$/.test(r.path))).toEqual([]);
    expect(new Set(onTopic.map((r) => r.url))).toEqual(new Set(kept));
    expect(onTopic.every((r) => r.filtered_by === 'filter-pipeline')).toBe(true);
    await cluster.close();
    const lines = records(jsonl);
    expect(new Set(lines.map((r) => r.url))).toEqual(new Set(kept));
    expect(lines.every((r) => r.status_code === 200 && Number(r.bytes) > 0)).toBe(true);
  });
});

/** Graph pages within `maxDepth` links of `seed`, never passing through a URL matching `skip`. */
function reachableSkipping(web: TestWeb, seed: string, maxDepth: number, skip: RegExp): string[] {
  const seen = new Set([seed]);
  let frontier = [seed];
  for (let depth = 0; depth < maxDepth; depth++) {
    const next: string[] = [];
    for (const url of frontier) {
      for (const link of web.linksOf(url) ?? []) {
        if (!link.page) continue;
        const target = web.pageUrl(link.page.domain, link.page.page);
        if (seen.has(target) || skip.test(target)) continue;
        seen.add(target);
        next.push(target);
      }
    }
    frontier = next;
  }
  return [...seen];
}
