/**
 * The dashboard's reads with 100,000 queued requests over 10,000 domains on the real Redis: a page of
 * domains, the crawl list (with the pending count) and the backlog answer, and Redis's own time spent on
 * them (`INFO commandstats`) is printed. No KEYS: every walk is SCAN with COUNT. Redis is a private
 * server of this file, so the 100,000 members disturb no other test's key walks.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServices, type ServicesHandle } from '../../scripts/services/stack.js';
import { STATE_DIR } from '../../scripts/services/state.js';
import { RedisStore, type Store } from '../../src/core/store/index.js';
import { DashboardData } from '../../src/rest/ui/data.js';
import { waitFor } from '../support/capture-logger.js';
import { servicesEnv } from '../support/services.js';

const DOMAINS = 10_000;
const PER_DOMAIN = 10;
const spider = `scale${randomUUID().slice(0, 6)}`;
let store: Store;
let stack: ServicesHandle;

/** Redis CPU microseconds spent so far on commands and scripts. */
async function redisUsec(): Promise<number> {
  const info = String(await store.call('INFO', 'commandstats'));
  let total = 0;
  for (const match of info.matchAll(/usec=(\d+)/g)) total += Number(match[1]);
  return total;
}

beforeAll(async () => {
  const { KAFKA_HOSTS, ZOOKEEPER_HOSTS } = servicesEnv();
  // Only Redis is missing from this env, so only Redis is started.
  stack = await startServices({
    env: { KAFKA_HOSTS, ZOOKEEPER_HOSTS },
    stateFile: join(STATE_DIR, `stack-${process.pid}.json`),
    log: () => undefined,
  });
  store = await RedisStore.connect({ host: stack.env.REDIS_HOST, port: Number(stack.env.REDIS_PORT) });
  for (let start = 0; start < DOMAINS; start += 1000) {
    const pipe = store.pipeline();
    for (let d = start; d < start + 1000; d++) {
      const args: (string | number)[] = [];
      for (let i = 0; i < PER_DOMAIN; i++)
        args.push(
          i,
          JSON.stringify({
            url: `http://d${d}.example/${i}`,
            appid: 'scale',
            crawlid: 'big',
            spiderid: spider,
          }),
        );
      pipe.call('ZADD', `${spider}:d${d}.example:queue`, ...args);
      pipe.call('SADD', `crawlqueues:${spider}:scale:big`, `${spider}:d${d}.example:queue`);
    }
    await pipe.exec();
  }
  await store.call('HSET', `crawlstats:${spider}:scale:big`, 'published', 5);
  await store.call('EXPIRE', `crawlstats:${spider}:scale:big`, 3600);
}, 120_000);

afterAll(async () => {
  await store?.close();
  await stack?.stop();
});

it(
  'pages domains, lists crawls and measures the backlog over 10,000 domains',
  { timeout: 120_000 },
  async () => {
    const data = new DashboardData(() => store);
    try {
      let before = await redisUsec();
      let started = performance.now();
      const page = await data.domains('0', 50);
      const pageMs = performance.now() - started;
      const pageUsec = (await redisUsec()) - before;
      expect(page.domains.length).toBeGreaterThan(0);
      expect(page.domains.length).toBeLessThan(2000);

      before = await redisUsec();
      started = performance.now();
      const crawls = await data.crawls();
      const crawlsMs = performance.now() - started;
      const crawlsUsec = (await redisUsec()) - before;
      const big = crawls.find((c) => c.spiderid === spider)!;
      expect(big).toMatchObject({ crawlid: 'big', published: 5, finished: false });
      expect(big.pending === null || big.pending === DOMAINS * PER_DOMAIN).toBe(true);

      before = await redisUsec();
      started = performance.now();
      await waitFor(
        async () => (await data.overview()).backlog.total >= DOMAINS * PER_DOMAIN,
        60_000,
        'the backlog',
      );
      const backlogMs = performance.now() - started;
      const backlogUsec = (await redisUsec()) - before;
      console.log(
        `dashboard scale: domains page ${page.domains.length} queues in ${pageMs.toFixed(0)} ms (Redis ${pageUsec} µs); ` +
          `crawls in ${crawlsMs.toFixed(0)} ms (Redis ${crawlsUsec} µs, pending ${big.pending ?? 'many'}); ` +
          `backlog ${(await data.overview()).backlog.total} in ${backlogMs.toFixed(0)} ms (Redis ${backlogUsec} µs)`,
      );
    } finally {
      data.close();
    }
  },
);
