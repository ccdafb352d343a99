/**
 * Observability of a running cluster, in memory: the /metrics counters move while a crawl runs, the
 * health endpoints answer, the crawler logs its progress every LOGSTATS_INTERVAL, and a finished crawl is
 * logged once and announced once on the outbound topic (`/stream/outbound`). Also the metrics listener's
 * port rules (0 picks one; a port in use is a warning, not a failure) and /readyz naming what is down.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Readiness, startMetricsListener } from '../../src/core/metrics/index.js';
import { startStandalone, type StandaloneCluster } from '../../src/standalone/index.js';
import { startTestWeb, type TestWeb } from '../../src/testweb/index.js';
import { captureLogger, waitFor } from '../support/capture-logger.js';

type Json = Record<string, unknown>;

/** The value of one series in a Prometheus text answer (0 when absent). */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

async function outboundEvents(url: string) {
  const controller = new AbortController();
  const response = await fetch(url, { signal: controller.signal });
  const events: Json[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  const reading = (async () => {
    try {
      for await (const chunk of response.body!) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const data = buffer
            .slice(0, end)
            .split('\n')
            .filter((l) => l.startsWith('data: '))
            .map((l) => l.slice(6));
          buffer = buffer.slice(end + 2);
          if (data.length > 0) events.push(JSON.parse(data.join('\n')) as Json);
        }
      }
    } catch {
      // aborted
    }
  })();
  return {
    events,
    async close() {
      controller.abort();
      await reading;
    },
  };
}

describe('cluster observability (in memory)', () => {
  let web: TestWeb;
  let cluster: StandaloneCluster;
  const { logger, lines } = captureLogger('standalone', 'INFO');

  beforeAll(async () => {
    web = await startTestWeb({ domains: 3, pagesPerDomain: 15, record: false });
    cluster = await startStandalone({
      env: {},
      overrides: {
        ...web.fetcherSettings(),
        QUEUE_HITS: 50,
        QUEUE_WINDOW: 1,
        QUEUE_MODERATED: false,
        SCHEDULER_QUEUE_REFRESH: 0.3,
        KAFKA_PRODUCER_BATCH_LINGER_MS: 5,
        STATS_DUMP: 0,
        LOGSTATS_INTERVAL: 1,
      },
      port: 0,
      host: '127.0.0.1',
      logger,
      graceSeconds: 1,
      crawlCheckMs: 300,
    });
  });

  afterAll(async () => {
    await cluster?.close();
    await web?.close();
  });

  it('shows counters moving, progress lines, and one crawl-finished line and message', async () => {
    const before = await (await fetch(`${cluster.url}/metrics`)).text();
    const outbound = await outboundEvents(`${cluster.url}/stream/outbound`);
    try {
      const feed = await fetch(`${cluster.url}/feed`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url: web.url(0, '/'), appid: 'obs', crawlid: 'c1', maxdepth: 3 }),
      });
      expect(feed.status).toBe(200);
      await waitFor(
        () => outbound.events.some((e) => e.action === 'crawl-finished' && e.crawlid === 'c1'),
        60_000,
        'the crawl-finished message',
      );
      const after = await (await fetch(`${cluster.url}/metrics`)).text();
      const pages = sample(after, 'scrapy_cluster_crawler_pages_fetched_total{status="200"}');
      const items = sample(after, 'scrapy_cluster_crawler_items_published_total');
      console.log(`observability: ${pages} pages fetched (200), ${items} items published`);
      expect(pages).toBeGreaterThan(
        sample(before, 'scrapy_cluster_crawler_pages_fetched_total{status="200"}'),
      );
      expect(items).toBeGreaterThanOrEqual(15);
      expect(sample(after, 'scrapy_cluster_crawler_requests_queued_total')).toBeGreaterThan(0);
      expect(
        sample(after, 'scrapy_cluster_crawler_requests_dropped_total{reason="duplicate"}'),
      ).toBeGreaterThan(0);
      expect(sample(after, 'scrapy_cluster_kafka_monitor_requests_total{plugin="ScraperHandler"}')).toBe(1);
      expect(sample(after, 'scrapy_cluster_rest_requests_total{route="/feed",status="200"}')).toBe(1);
      expect(sample(after, 'scrapy_cluster_crawler_crawls_finished_total')).toBe(1);
      expect(after).toContain('scrapy_cluster_crawler_fetch_duration_seconds_bucket{le="0.1"}');
      expect(after).toContain('process_cpu_user_seconds_total');
      // Never a URL or a crawl id as a label.
      expect(after).not.toContain('crawlid=');
      expect(after).not.toContain('http://');

      const finished = outbound.events.filter((e) => e.action === 'crawl-finished');
      expect(finished).toHaveLength(1);
      expect(finished[0]).toMatchObject({ appid: 'obs', crawlid: 'c1', spiderid: 'link' });
      const stats = finished[0]!.crawl_stats as Record<string, number>;
      expect(stats.published).toBe(items);
      const finishLines = lines.filter((l) => String(l.message).startsWith('Crawl finished: obs/c1'));
      expect(finishLines).toHaveLength(1);

      await waitFor(
        () => lines.some((l) => /^Crawled \d+ pages \(at \d+ pages\/min\)/.test(String(l.message))),
        10_000,
        'a progress line',
      );
      const progress = lines.find((l) => /^Crawl obs\/c1: \d+ pages here/.test(String(l.message)));
      expect(progress).toBeDefined();
      // Another period passes: still one announcement.
      await new Promise((r) => setTimeout(r, 1000));
      expect(outbound.events.filter((e) => e.action === 'crawl-finished')).toHaveLength(1);
    } finally {
      await outbound.close();
    }
  });

  it('answers /healthz and /readyz on the REST port', async () => {
    const health = await fetch(`${cluster.url}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${cluster.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, checks: { redis: 'up', kafka: 'up' }, down: [] });
  });
});

describe('metrics listener', () => {
  it('picks a free port for 0, warns and goes on when the port is taken, names what is down', async () => {
    const { logger, lines } = captureLogger('metrics', 'INFO');
    let redisUp = false;
    const readiness = new Readiness(
      { redis: () => Promise.resolve(redisUp), kafka: () => new Promise(() => undefined) },
      { cacheMs: 0, timeoutMs: 200 },
    );
    const listener = await startMetricsListener({
      component: 'test',
      host: '127.0.0.1',
      port: 0,
      health: { live: () => true, readiness },
      logger,
    });
    expect(listener).toBeDefined();
    try {
      expect(lines.some((l) => String(l.message).includes(`:${listener!.port}/metrics`))).toBe(true);
      const base = `http://127.0.0.1:${listener!.port}`;
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      const down = await fetch(`${base}/readyz`);
      expect(down.status).toBe(503);
      expect(await down.json()).toMatchObject({ ready: false, down: ['redis', 'kafka'] });
      redisUp = true;
      expect(await (await fetch(`${base}/readyz`)).json()).toMatchObject({ down: ['kafka'] });
      const metrics = await fetch(`${base}/metrics`);
      expect(metrics.headers.get('content-type')).toContain('text/plain');
      expect(await metrics.text()).toContain('nodejs_eventloop_lag_seconds');

      const again = await startMetricsListener({
        component: 'test',
        host: '127.0.0.1',
        port: listener!.port,
        health: { live: () => true, readiness },
        logger,
      });
      expect(again).toBeUndefined();
      const warning = lines.find(
        (l) => l.level === 'WARNING' && String(l.message).startsWith('Metrics listener'),
      );
      expect(warning).toMatchObject({ port: listener!.port });
      expect(String(warning!.error)).toContain('EADDRINUSE');
    } finally {
      await listener?.close();
    }
    // A free port stays free afterwards (closed for real).
    await new Promise<void>((resolve, reject) => {
      const probe = createServer();
      probe.once('error', reject);
      probe.listen(listener!.port, '127.0.0.1', () => probe.close(() => resolve()));
    });
  });
});

describe('dashboard access', () => {
  const { logger: restLogger, lines: restLines } = captureLogger('rest', 'INFO');
  async function service(overrides: Record<string, unknown>) {
    const { RestService } = await import('../../src/rest/service.js');
    const { resolveSettings } = await import('../../src/settings.js');
    const { MemoryStore, MemoryEngine } = await import('../../src/core/store/index.js');
    const { MemoryBus, MemoryBroker } = await import('../../src/core/bus/index.js');
    const engine = new MemoryEngine();
    const broker = new MemoryBroker();
    const rest = new RestService({
      settings: resolveSettings('rest', {
        env: {},
        overrides: { FLASK_LOGGING_ENABLED: false, ...overrides },
      }),
      logger: restLogger,
      connectStore: () => Promise.resolve(new MemoryStore(engine)),
      connectBus: () => Promise.resolve(new MemoryBus(broker)),
    });
    rest.start();
    await rest.connected();
    return rest;
  }
  const basic = (user: string, password: string) => ({
    authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
  });

  it('asks for the configured user, serves the page and uPlot from the package, keeps probes open', async () => {
    const rest = await service({ REST_UI_USER: 'ops', REST_UI_PASSWORD: 'secret' });
    try {
      const denied = await rest.app.inject({ url: '/ui/' });
      expect(denied.statusCode).toBe(401);
      expect(denied.headers['www-authenticate']).toContain('Basic');
      expect((await rest.app.inject({ url: '/ui/', headers: basic('ops', 'wrong') })).statusCode).toBe(401);
      const page = await rest.app.inject({ url: '/ui/', headers: basic('ops', 'secret') });
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('<script src="uplot.js"></script>');
      const uplot = await rest.app.inject({ url: '/ui/uplot.js', headers: basic('ops', 'secret') });
      expect(uplot.headers['content-type']).toContain('javascript');
      expect(uplot.body).toContain('uPlot');
      const overview = await rest.app.inject({ url: '/ui/api/overview', headers: basic('ops', 'secret') });
      expect(overview.json()).toMatchObject({ components: [{ kind: 'rest', id: rest.id }] });
      expect((await rest.app.inject({ url: '/ui' })).statusCode).toBe(401);
      expect((await rest.app.inject({ url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await rest.close();
    }
  });

  it('with API keys: the dashboard takes a key as the password, /metrics needs a key, /readyz does not', async () => {
    const rest = await service({ REST_API_KEYS: ['k1'] });
    try {
      expect((await rest.app.inject({ url: '/ui/api/crawls' })).statusCode).toBe(401);
      expect((await rest.app.inject({ url: '/ui/api/crawls', headers: basic('any', 'k1') })).statusCode).toBe(
        200,
      );
      expect((await rest.app.inject({ url: '/metrics' })).statusCode).toBe(401);
      expect((await rest.app.inject({ url: '/metrics', headers: { 'x-api-key': 'k1' } })).statusCode).toBe(
        200,
      );
      expect((await rest.app.inject({ url: '/readyz' })).statusCode).toBe(200);
      // Actions go through /feed with the service's own key.
      const feed = await rest.app.inject({
        method: 'POST',
        url: '/ui/api/feed',
        headers: { ...basic('any', 'k1'), 'content-type': 'application/json' },
        payload: JSON.stringify({ url: 'http://example.com', appid: 'dashboard', crawlid: 'abc123' }),
      });
      expect(feed.statusCode, feed.body).toBe(200);
      expect(feed.json()).toMatchObject({ status: 'SUCCESS' });
    } finally {
      await rest.close();
    }
    // The shutdown summary counts every answer by status class (the forwarded /feed too).
    const summary = restLines.filter((l) => String(l.message).startsWith('Rest service stats: ')).at(-1);
    expect(summary).toMatchObject({ requests: 7, by_status: { '2xx': 5, '4xx': 2 } });
  });
});
