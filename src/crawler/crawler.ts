import { hostname } from 'node:os';
import { OutageLog } from '../core/backoff.js';
import { errorMessage } from '../core/errors.js';
import { Heartbeat, newProcessId } from '../core/heartbeat.js';
import { Readiness, startMetricsListener, type MetricsListener } from '../core/metrics/index.js';
import { isStoreUnavailable } from '../core/store/index.js';
import { ZookeeperWatcher } from '../core/zookeeper/index.js';
import { DomainConfig } from './control/domain-config.js';
import { CrawlPolicy } from './control/crawl-policy.js';
import { Politeness } from './control/politeness.js';
import { registeredDomain } from '../core/domain.js';
import { PublicIpLookup } from './control/public-ip.js';
import { CrawlEngine } from './engine/engine.js';
import type { PageFetcher } from './engine/ports.js';
import { downloaderChain } from './middleware/downloader-middlewares.js';
import { loadExtensions, type CrawlExtensions } from './middleware/extensions.js';
import type { ItemOutcome } from './middleware/item-pipelines.js';
import { spiderOutputChain } from './middleware/spider-middlewares.js';
import { Fetcher } from './fetch/index.js';
import { Frontier, type DomainThrottle } from './frontier/frontier.js';
import { CrawlWatch } from './observe/crawl-watch.js';
import { FailureLog } from './observe/failure-log.js';
import { publishDomainConfig } from './observe/domain-config-copy.js';
import { measuredFetcher } from './observe/measured-fetcher.js';
import { CrawlerMetrics } from './observe/metrics.js';
import { ProgressLog } from './observe/progress.js';
import { queueOf } from './observe/queue-of.js';
import { spiderParser } from './spider/page-parser.js';
import { StatusCodeStats } from './observe/status-codes.js';
import type { CrawlResult } from './pipeline/item.js';
import { KafkaPipeline } from './pipeline/kafka-pipeline.js';
import type { Spider } from './spider/index.js';
import { redisKeys } from '../core/wire/keys.js';
import { topicNames } from '../core/wire/topics.js';
import type { CrawlerOptions } from './crawler-options.js';

export type { CrawlerOptions, DomainConfigSource } from './crawler-options.js';

/**
 * One crawler process (the original's `scrapy runspider`): the shared frontier, the fetcher, the spider,
 * the Kafka pipeline, plus the cluster controls around them: ZooKeeper domain config, public IP for
 * IP-style throttling, response-code stats, the heartbeat, and the reaper that returns expired leases.
 */
export class Crawler {
  readonly id = newProcessId();
  readonly frontier: Frontier;
  readonly domainConfig: DomainConfig;
  /** Retry-After holds and robots.txt Crawl-delay, shared by every crawler through Redis. */
  readonly politeness: Politeness;
  /** How each domain may be crawled (throttle, blacklist), as the frontier asks it. */
  readonly policy: CrawlPolicy;
  /** Made at start, once the pipelines and middlewares are loaded. */
  private engine: CrawlEngine | undefined;
  private extensions: CrawlExtensions | undefined;
  private readonly spider: Spider;
  /** The fetcher with its metrics; the downloader middlewares wrap it at start. */
  private readonly measuredFetcher: PageFetcher;
  private readonly fetcher: Fetcher;
  private readonly pipeline: KafkaPipeline;
  private readonly spiderName: string;
  private publicIp = '127.0.0.1';
  /** Only made (and only ever asked) when SCHEDULER_IP_ENABLED is on. */
  private ipLookup: PublicIpLookup | undefined;
  private heartbeat: Heartbeat | undefined;
  private watcher: ZookeeperWatcher | undefined;
  private unsubscribeConfig: (() => void) | undefined;
  private unfollowQueues: (() => Promise<void>) | undefined;
  private timers: NodeJS.Timeout[] = [];
  private readonly statusCodes: StatusCodeStats;
  /** Redis outages, said once by whichever loop notices first (crawl loop, reaper). */
  private readonly redisOutage: OutageLog;
  readonly metrics = new CrawlerMetrics();
  readonly crawls: CrawlWatch;
  readonly readiness: Readiness;
  private readonly failures: FailureLog;
  private readonly progress: ProgressLog;
  private metricsListener: MetricsListener | undefined;
  private running = false;

  constructor(private readonly options: CrawlerOptions) {
    const { settings, store, bus, logger } = options;
    this.redisOutage = new OutageLog(logger, 'Redis');
    this.spiderName = options.spider.spiderName;
    this.spider = new (options.spider as unknown as new (ctx: object) => Spider)({ logger, settings });
    this.domainConfig = new DomainConfig(logger);
    this.politeness = new Politeness({
      frontier: () => this.frontier,
      logger,
      metrics: this.metrics,
      domainOf: (url) => registeredDomain(url, settings.DOMAIN_KEYS),
      retryAfterMax: settings.RETRY_AFTER_MAX,
      crawlDelayMax: settings.CRAWL_DELAY_MAX,
    });
    this.policy = new CrawlPolicy({
      settings,
      spiderName: this.spiderName,
      domainConfig: this.domainConfig,
      politeness: this.politeness,
      publicIp: () => this.publicIp,
    });
    this.frontier = new Frontier(store, {
      spiderid: this.spiderName,
      owner: this.id,
      leaseSeconds: settings.LEASE_TIMEOUT,
      policy: this.policy,
      queueRefresh: settings.SCHEDULER_QUEUE_REFRESH,
      queueTimeout: settings.SCHEDULER_QUEUE_TIMEOUT,
      dupefilterTimeout: settings.DUPEFILTER_TIMEOUT,
      domainMaxPageTimeout: settings.DOMAIN_MAX_PAGE_TIMEOUT,
      globalPageLimit: settings.GLOBAL_PAGE_PER_DOMAIN_LIMIT,
      globalPageLimitTimeout: settings.GLOBAL_PAGE_PER_DOMAIN_LIMIT_TIMEOUT,
      crawlStatsTimeout: Math.max(settings.DUPEFILTER_TIMEOUT, 86_400),
      domainKeys: settings.DOMAIN_KEYS,
      logger,
      observer: {
        enqueued: (requests, statuses) => {
          this.metrics.enqueued(statuses);
          statuses.forEach((status, i) => {
            if (status !== 'queued') return;
            const { url, meta } = requests[i]!.request;
            const spiderid = typeof meta.spiderid === 'string' ? meta.spiderid : this.spiderName;
            if (spiderid !== this.spiderName) return;
            this.crawls.seen(String(meta.appid), String(meta.crawlid), queueOf(spiderid, url), false);
          });
        },
        throttled: (count) => this.metrics.throttled(count),
        dropped: (count) => this.metrics.droppedFromQueues(count),
      },
    });
    this.crawls = new CrawlWatch({
      store,
      spiderid: this.spiderName,
      logger,
      ttlSeconds: Math.max(settings.DUPEFILTER_TIMEOUT, 86_400),
      announce: (message) =>
        bus.send(topicNames.outboundFirehose(settings.KAFKA_TOPIC_PREFIX), [JSON.stringify(message)]),
      onFinished: () => this.metrics.crawlFinished(),
      ...(options.crawlCheckMs ? { checkMs: options.crawlCheckMs } : {}),
    });
    // Redirects go through the frontier (duplicate filter, throttle), not inside the fetcher.
    this.fetcher = new Fetcher(
      { ...settings, REDIRECT_ENABLED: false },
      {
        logger,
        ...(settings.CRAWL_DELAY_MAX > 0
          ? { onCrawlDelay: (url: URL, delay: number) => this.politeness.crawlDelay(url, delay) }
          : {}),
      },
    );
    this.measuredFetcher = measuredFetcher(this.fetcher, this.metrics);
    this.pipeline = new KafkaPipeline({
      bus,
      logger,
      topicPrefix: settings.KAFKA_TOPIC_PREFIX,
      appidTopics: settings.KAFKA_APPID_TOPICS,
      base64: settings.KAFKA_BASE_64_ENCODE,
      lingerMs: settings.KAFKA_PRODUCER_BATCH_LINGER_MS,
      spiderid: this.spiderName,
      maxRequestBytes: settings.KAFKA_PRODUCER_MAX_REQUEST_SIZE,
    });
    this.statusCodes = new StatusCodeStats(store, this.spiderName, settings);
    this.failures = new FailureLog(store, this.spiderName, Math.max(settings.DUPEFILTER_TIMEOUT, 86_400));
    this.progress = new ProgressLog({
      store,
      logger,
      metrics: this.metrics,
      watch: this.crawls,
      spiderid: this.spiderName,
      intervalSeconds: settings.LOGSTATS_INTERVAL,
      queueKeys: () => this.frontier.knownQueueKeys(),
      leasesHeld: () => this.frontier.heldCount,
    });
    this.readiness = new Readiness({
      redis: () => store.ping(),
      kafka: () => bus.listTopics().then(() => true),
      ...(this.options.zookeeper || (!options.configSource && settings.ZOOKEEPER_HOSTS)
        ? { zookeeper: () => this.watcher?.ping() ?? Promise.resolve(false) }
        : {}),
    });
  }

  /** Loads ITEM_PIPELINES, DOWNLOADER_MIDDLEWARES and SPIDER_MIDDLEWARES and builds the crawl engine on them. */
  private async makeEngine(): Promise<CrawlEngine> {
    const { settings, logger } = this.options;
    const timeoutMs = settings.DOWNLOAD_TIMEOUT * 1000;
    const extensions = await loadExtensions({
      settings,
      spider: this.spider,
      logger,
      kafka: this.pipeline,
      timeoutMs,
      ...(this.options.extensionDir ? { baseDir: this.options.extensionDir } : {}),
      onDropped: (stage) => this.metrics.itemDropped(stage),
    });
    await extensions.items.open();
    this.extensions = extensions;
    const countStatuses = extensions.has('status-stats');
    return new CrawlEngine({
      frontier: this.frontier,
      fetcher: downloaderChain(this.measuredFetcher, extensions.downloader, this.spider, timeoutMs),
      parser: spiderParser(this.spider, spiderOutputChain(extensions.spider, this.spider)),
      publish: (item) => this.publish(item),
      logger,
      concurrentRequests: settings.CONCURRENT_REQUESTS,
      concurrentPerDomain: settings.CONCURRENT_REQUESTS_PER_DOMAIN,
      concurrentItems: settings.CONCURRENT_ITEMS,
      retryTimes: extensions.has('retry') ? settings.RETRY_TIMES : 0,
      logRetries: extensions.has('retry-log'),
      maxAttempts: settings.LEASE_MAX_ATTEMPTS,
      retryHttpCodes: settings.RETRY_HTTP_CODES,
      followRedirects: settings.REDIRECT_ENABLED,
      maxRedirects: settings.REDIRECT_MAX_TIMES,
      onOutcome: ({ request, status, retried }) => {
        if (retried) this.metrics.retried();
        if (countStatuses) this.statusCodes.count(status, request.url);
      },
      ...(settings.RETRY_AFTER_MAX > 0
        ? {
            onRetryAfter: (domain: string, seconds: number, status: number, url: string) =>
              this.politeness.retryAfter(domain, seconds, status, url),
          }
        : {}),
      outage: this.redisOutage,
      // A page waits for Kafka at most half its lease, so no other crawler takes the request meanwhile.
      publishPatienceMs: Math.min(30_000, settings.LEASE_TIMEOUT * 500),
      probePublisher: () => this.options.bus.listTopics(),
    });
  }

  /** The throttle of a domain (see CrawlPolicy). */
  throttleFor(domain: string): DomainThrottle | null {
    return this.policy.throttleFor(domain);
  }

  async start(): Promise<void> {
    const { settings, store, logger } = this.options;
    // First, so a pipeline or middleware that cannot be loaded stops the start before anything runs.
    const engine = await this.makeEngine();
    this.engine = engine;
    if (settings.SCHEDULER_IP_ENABLED) await this.refreshIp();
    const { configSource } = this.options;
    if (this.options.zookeeper ?? (!configSource && Boolean(settings.ZOOKEEPER_HOSTS)))
      await this.watchZookeeper();
    else if (configSource)
      this.unsubscribeConfig = configSource.subscribe((contents) => this.applyConfig(contents));
    this.heartbeat = new Heartbeat(
      store,
      redisKeys.crawlerSelf(hostname(), this.spiderName, this.id),
      Math.round(2 * settings.SCHEDULER_IP_REFRESH),
      Math.min(settings.SCHEDULER_IP_REFRESH, 10),
      logger,
    );
    this.heartbeat.start();
    this.every(
      Math.max(1, settings.LEASE_TIMEOUT / 4),
      () => this.frontier.reapExpired().then((n) => this.metrics.reaped(n)),
      this.redisOutage,
    );
    if (settings.SCHEDULER_IP_ENABLED) this.every(settings.SCHEDULER_IP_REFRESH, () => this.refreshIp());
    // New queues are announced so an idle crawler starts on them at once; the SCAN remains the fallback.
    this.unfollowQueues = await this.frontier
      .followAnnouncements(() => engine.nudge())
      .catch((err: unknown) => {
        logger.warning('Cannot follow queue announcements; new queues are found by SCAN only', {
          error: errorMessage(err),
        });
        return undefined;
      });
    engine.start();
    this.running = true;
    this.metrics.watch({
      leasesHeld: () => this.frontier.heldCount,
      queuesKnown: () => this.frontier.knownQueues,
    });
    this.crawls.start();
    this.progress.start();
    if (this.options.metricsListener ?? true)
      this.metricsListener = await startMetricsListener({
        component: 'crawler',
        host: settings.METRICS_HOST,
        port: settings.METRICS_PORT,
        health: { live: () => this.running, readiness: this.readiness },
        logger,
      });
    logger.info('Crawler started', { spiderid: this.spiderName, id: this.id });
  }

  /**
   * SIGTERM semantics: stop taking work, let requests in flight finish for up to `graceSeconds`, hand
   * the rest back to their queues at once, then close everything.
   */
  async stop(graceSeconds = 10): Promise<void> {
    const { logger } = this.options;
    logger.info('Closing Spider', { spiderid: this.spiderName });
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.progress.stop();
    await this.unfollowQueues?.().catch(() => undefined);
    const returned = (await this.engine?.stop(graceSeconds * 1000)) ?? 0;
    this.running = false;
    if (returned > 0) logger.info('Handed unfinished requests back to their queues', { returned });
    await this.pipeline.flush();
    await this.extensions?.items.close();
    await this.statusCodes.stop();
    await this.heartbeat?.stop();
    await this.watcher?.close();
    this.unsubscribeConfig?.();
    await this.fetcher.close();
    await this.crawls.stop();
    await this.failures.flush();
    this.metrics.unwatch();
    await this.metricsListener?.close();
    this.progress.logSummary();
  }

  /** Applies a domain config document, and copies it to Redis for the dashboard. */
  private applyConfig(contents: string): void {
    void this.domainConfig.apply(contents);
    void publishDomainConfig(this.options.store, contents);
  }

  /** Port of the /metrics listener, when it runs. */
  get metricsPort(): number | undefined {
    return this.metricsListener?.port;
  }

  /**
   * Sends a page or failure record through the item pipelines (ITEM_PIPELINES: by default a log line, then
   * Kafka), counting it and noting its crawl's activity.
   */
  private async publish(item: CrawlResult): Promise<ItemOutcome> {
    let outcome: ItemOutcome;
    try {
      outcome = await this.extensions!.items.process(item);
    } catch (err) {
      this.metrics.publishFailed();
      throw err;
    }
    this.crawls.seen(item.appid, item.crawlid, queueOf(this.spiderName, item.url));
    if (outcome === 'dropped') return outcome;
    // A page too large for Kafka went out as a too-large record, one a pipeline failed as a
    // pipeline-error record: each counts as that failure.
    const reason =
      outcome === 'too-large' ? 'too-large' : outcome === 'failed' ? 'pipeline-error' : item.error?.reason;
    this.metrics.published(reason);
    if (reason !== undefined) this.failures.record(item.appid, item.crawlid, reason, item.url);
    return outcome;
  }

  get inFlight(): number {
    return this.engine?.inFlight ?? 0;
  }

  /** Runs `task` every `seconds`; with `outage`, a store outage is logged there (once) instead of each time. */
  private every(seconds: number, task: () => Promise<unknown>, outage?: OutageLog): void {
    const timer = setInterval(() => {
      task().then(
        () => outage?.recovered(),
        (err: unknown) => {
          if (outage && isStoreUnavailable(err)) outage.failed(err);
          else this.options.logger.warning('Background task failed', { error: errorMessage(err) });
        },
      );
    }, seconds * 1000);
    timer.unref();
    this.timers.push(timer);
  }

  private async refreshIp(): Promise<void> {
    const { settings, logger } = this.options;
    this.ipLookup ??= new PublicIpLookup({
      url: settings.PUBLIC_IP_URL,
      pattern: settings.IP_ADDR_REGEX,
      timeoutSeconds: 5,
      logger,
    });
    const ip = await this.ipLookup.refresh();
    if (ip !== this.publicIp) logger.info(`Changed Public IP: ${this.publicIp} -> ${ip}`);
    this.publicIp = ip;
  }

  /** Domain config from ZooKeeper; ZooKeeper being down never stops crawling (last config kept). */
  private async watchZookeeper(): Promise<void> {
    const { settings, logger } = this.options;
    const path = `${settings.ZOOKEEPER_ASSIGN_PATH.replace(/\/+$/, '')}/${settings.ZOOKEEPER_ID}`;
    this.watcher = new ZookeeperWatcher({
      hosts: settings.ZOOKEEPER_HOSTS,
      filepath: path,
      ensure: true,
      validInit: false,
      configHandler: (contents) => this.applyConfig(contents),
      errorHandler: (message) =>
        logger.warning('Zookeeper watcher problem, keeping the last config', { error: message }),
    });
    await Promise.race([
      this.watcher.ready().catch(() => undefined),
      new Promise((r) => setTimeout(r, 5000).unref()),
    ]);
  }
}
