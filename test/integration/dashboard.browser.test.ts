/**
 * The dashboard in a real browser: the standalone cluster on the real Redis, Kafka and ZooKeeper, a crawl
 * fed through /feed, then `/ui/` in headless Chromium (Debian's, driven by playwright-core) showing what a
 * person would check: the crawl with its counts, one row per running component, a domain row with its
 * backlog, and a Stop button that purges the crawl (the Redis Monitor's reply shown on the page, the crawl's
 * queue emptied). A screenshot is saved to test-artifacts/dashboard.png.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registeredDomain } from '../../src/core/domain.js';
import { startStandalone, type StandaloneCluster } from '../../src/standalone/index.js';
import { startTestWeb, type TestWeb } from '../../src/testweb/index.js';
import { ensureChromium } from '../../scripts/services/provision.js';
import { captureLogger, waitFor } from '../support/capture-logger.js';
import { uniqueLinkSpider } from '../support/crawl-cluster.js';
import { servicesEnv } from '../support/services.js';

const ARTIFACTS = join(process.cwd(), 'test-artifacts');

describe('dashboard in headless Chromium', () => {
  let web: TestWeb;
  let cluster: StandaloneCluster;
  let browser: BrowserContext;
  let page: Page;
  let profile: string;
  const spider = uniqueLinkSpider();
  const prefix = `ui${randomUUID().slice(0, 8)}`;
  const crawlid = `ui-${randomUUID().slice(0, 8)}`;
  const { logger } = captureLogger('standalone', 'WARNING');

  beforeAll(async () => {
    // Fails with the reason (not skipped) when Chromium cannot be installed.
    const executablePath = await ensureChromium((line) => console.log(`[chromium] ${line}`));
    const env = servicesEnv();
    web = await startTestWeb({ domains: 2, pagesPerDomain: 60, record: false });
    cluster = await startStandalone({
      env: {
        REDIS_HOST: env.REDIS_HOST,
        REDIS_PORT: String(env.REDIS_PORT),
        KAFKA_HOSTS: env.KAFKA_HOSTS,
        ZOOKEEPER_HOSTS: env.ZOOKEEPER_HOSTS,
      },
      overrides: {
        ...web.fetcherSettings(),
        KAFKA_TOPIC_PREFIX: prefix,
        KAFKA_INCOMING_TOPIC: `${prefix}.incoming`,
        KAFKA_PRODUCER_TOPIC: `${prefix}.incoming`,
        KAFKA_GROUP: `${prefix}-km`,
        ZOOKEEPER_ID: prefix,
        // Slow enough that the crawl is still running when the page stops it.
        QUEUE_HITS: 2,
        QUEUE_WINDOW: 1,
        QUEUE_MODERATED: false,
        SCHEDULER_QUEUE_REFRESH: 0.5,
        KAFKA_PRODUCER_BATCH_LINGER_MS: 5,
        STATS_DUMP: 0,
        SLEEP_TIME: 0.1,
      },
      port: 0,
      host: '127.0.0.1',
      spider,
      logger,
      graceSeconds: 1,
    });
    profile = mkdtempSync(join(tmpdir(), 'sc-chromium-'));
    // A new empty profile directory (playwright passes it as --user-data-dir).
    browser = await chromium.launchPersistentContext(profile, {
      executablePath,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      // A phone-sized screen.
      viewport: { width: 412, height: 915 },
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    page.on('dialog', (dialog) => void dialog.accept());
  });

  afterAll(async () => {
    await browser?.close();
    await cluster?.close();
    await web?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('shows the crawl, the components and a domain, and stops the crawl from the page', async () => {
    const feed = await fetch(`${cluster.url}/feed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        url: web.url(0, '/'),
        appid: 'uitest',
        crawlid,
        spiderid: spider.spiderName,
        maxdepth: 3,
      }),
    });
    expect(feed.status).toBe(200);

    await page.goto(`${cluster.url}/ui/`);
    const row = page.locator(`#crawl-table tr[data-crawlid="${crawlid}"]`);
    await waitFor(
      async () =>
        Number(
          (
            await row
              .locator('td.published')
              .textContent({ timeout: 1000 })
              .catch(() => '0')
          )?.replace(/,/g, ''),
        ) >= 3,
      60_000,
      'published pages on the page',
    );
    const published = Number((await row.locator('td.published').textContent())!.replace(/,/g, ''));
    expect(await row.textContent()).toContain(`uitest / ${crawlid}`);
    // The crawl's queues are recorded within a second or two: then it shows as running, with work pending.
    await waitFor(
      async () =>
        (await row
          .locator('td.state')
          .textContent({ timeout: 1000 })
          .catch(() => '')) === 'running',
      30_000,
      'the crawl shown as running',
    );
    const pending = (await row.locator('td.pending').textContent())!;
    console.log(`dashboard: crawl ${crawlid} shows ${published}+ published, ${pending} pending`);
    expect(pending === 'many' || Number(pending.replace(/,/g, '')) > 0).toBe(true);

    // One row per running component of this process, with its id.
    for (const [kind, id] of [
      ['crawler', cluster.crawler.id],
      ['kafka-monitor', cluster.kafkaMonitor.id],
      ['redis-monitor', cluster.redisMonitor.id],
      ['rest', cluster.rest.id],
    ] as const) {
      await page.locator(`#components tr[data-kind="${kind}"]`, { hasText: id }).waitFor({ timeout: 30_000 });
    }

    // The crawled domain's queue, paging through the shared Redis if it is not on the first page.
    const domain = registeredDomain(web.url(0, '/'))!;
    const domainRow = page.locator(`#domain-table tr[data-domain="${domain}"]`);
    for (let pages = 0; pages < 50 && (await domainRow.count()) === 0; pages++) {
      if (await page.locator('#domains-next').isDisabled()) await page.click('#domains-first');
      else await page.click('#domains-next');
      await page.waitForTimeout(300);
    }
    await domainRow.first().waitFor({ timeout: 10_000 });
    const backlog = Number((await domainRow.first().locator('td.backlog').textContent())!.replace(/,/g, ''));
    console.log(`dashboard: domain ${domain} backlog ${backlog}`);
    expect(backlog).toBeGreaterThan(0);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
    // The same page on a desktop screen, for the docs.
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.waitForTimeout(2500);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-desktop.png') });
    await page.setViewportSize({ width: 412, height: 915 });

    // Stop from the page: the Redis Monitor's reply appears, and the crawl's queue empties.
    await row.locator('button.stop').click();
    await page.locator('#reply', { hasText: 'total_purged' }).waitFor({ timeout: 30_000 });
    const reply = (await page.locator('#reply').textContent())!;
    const purged = Number(/"total_purged":\s*(\d+)/.exec(reply)?.[1]);
    console.log(`dashboard: stop purged ${purged}`);
    expect(purged).toBeGreaterThan(0);
    const queue = `${spider.spiderName}:${domain}:queue`;
    await waitFor(
      async () => {
        const members = await cluster.store.zrange(queue, 0, -1);
        return !members.some((m) => m.includes(crawlid));
      },
      30_000,
      'the crawl purged from its queue',
    );
    await waitFor(
      async () =>
        (await row
          .locator('td.pending')
          .textContent({ timeout: 1000 })
          .catch(() => '')) === '0',
      30_000,
      'pending 0 on the page',
    );
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-stopped.png'), fullPage: true });
  });
});
