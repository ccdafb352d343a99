/**
 * A crawl of an IPv6 literal (`http://[::1]:<port>/`) end to end on real Kafka and Redis, in both
 * DOMAIN_KEYS styles: the Kafka Monitor's queue key must be one the crawler serves (the old key
 * `link:::1:queue` was never read). Also shows, on the same pages, the Referer of follow-up requests and
 * the hop-by-hop headers left out of `response_headers`.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaBus, kafkaBrokerList } from '../../src/core/bus/index.js';
import { createLogger } from '../../src/core/logging/index.js';
import { resolveSettings } from '../../src/settings.js';
import { RedisStore } from '../../src/core/store/index.js';
import { KafkaMonitor } from '../../src/kafka-monitor/monitor.js';
import { waitFor } from '../support/capture-logger.js';
import { crawlerSettings, startCrawler, uniqueLinkSpider, watchCrawled } from '../support/crawl-cluster.js';
import { servicesEnv } from '../support/services.js';

let server: Server;
let base: string;
const seen: { path: string; headers: IncomingHttpHeaders }[] = [];
let store: RedisStore;
let bus: KafkaBus;

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', headers: req.headers });
    if (req.url === '/robots.txt') return void res.writeHead(404).end();
    res.writeHead(200, { 'Content-Type': 'text/html', Connection: 'keep-alive', 'Keep-Alive': 'timeout=5' });
    res.end(req.url === '/' ? '<html><body><a href="/next">next</a></body></html>' : '<html>end</html>');
  });
  await new Promise<void>((resolve) => server.listen(0, '::1', resolve));
  base = `http://[::1]:${(server.address() as AddressInfo).port}`;
  const env = servicesEnv();
  store = await RedisStore.connect({ host: env.REDIS_HOST, port: env.REDIS_PORT });
  bus = await KafkaBus.connect({ brokers: kafkaBrokerList(env.KAFKA_HOSTS) });
});

afterAll(async () => {
  await bus?.close();
  await store?.close();
  await new Promise((resolve) => server?.close(resolve));
});

describe('a crawl of an IPv6 literal', () => {
  it.each([
    ['normalized', '[--1]'],
    ['tldextract', '['],
  ])('is queued and crawled with DOMAIN_KEYS %s (queue domain %s)', async (style, domain) => {
    const env = servicesEnv();
    const incoming = `ipv6-test.incoming.${randomUUID().slice(0, 8)}`;
    const monitor = await KafkaMonitor.create({
      settings: resolveSettings('kafka-monitor', {
        env: {},
        overrides: {
          KAFKA_INCOMING_TOPIC: incoming,
          KAFKA_GROUP: `g-${incoming}`,
          STATS_DUMP: 0,
          REDIS_PORT: env.REDIS_PORT,
          DOMAIN_KEYS: style,
        },
      }),
      store,
      bus,
      logger: createLogger({ name: 'kafka-monitor', level: 'ERROR', destination: { write: () => true } }),
    });
    await monitor.start();
    const spider = uniqueLinkSpider();
    const prefix = `v6${randomUUID().slice(0, 6)}`;
    const crawled = await watchCrawled(prefix);
    const web = { fetcherSettings: () => ({ ALLOWED_ADDRESSES: ['::1/128'] }) };
    const crawlid = `c${randomUUID().slice(0, 8)}`;
    const expectedKey = `${spider.spiderName}:${domain === '[' ? '[.' : domain}:queue`;
    // Queue first with no crawler running, so the key can be checked.
    await bus.send(incoming, [
      JSON.stringify({
        url: `${base}/`,
        appid: 'testapp',
        crawlid,
        spiderid: spider.spiderName,
        maxdepth: 1,
      }),
    ]);
    await waitFor(async () => (await store.zcard(expectedKey)) === 1, 30_000, expectedKey);
    const crawler = await startCrawler(spider, crawlerSettings(web, prefix, { DOMAIN_KEYS: style }));
    try {
      await waitFor(() => crawled.urls(crawlid).length >= 2, 60_000, 'two pages');
      expect(new Set(crawled.urls(crawlid))).toEqual(new Set([`${base}/`, `${base}/next`]));
      const next = seen.filter((s) => s.path === '/next').at(-1)!;
      expect(next.headers.referer).toBe(`${base}/`);
      const page = crawled.pages.find((p) => p.crawlid === crawlid && p.url === `${base}/`)!;
      const headers = page.response_headers as Record<string, string[]>;
      expect(headers['Content-Type']).toEqual(['text/html']);
      expect(Object.keys(headers).map((h) => h.toLowerCase())).not.toContain('connection');
      expect(Object.keys(headers).map((h) => h.toLowerCase())).not.toContain('keep-alive');
      console.log(`IPv6 crawl (${style}): queue ${expectedKey}, published ${crawled.urls(crawlid).length}`);
    } finally {
      await crawler.stop();
      await crawled.close();
      await monitor.close();
    }
  });
});
