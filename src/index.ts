/**
 * scrapy-cluster as a library: the coordination utilities (seed chapter 6) and the building blocks the
 * components are made of. The components themselves run through the `scrapy-cluster` CLI.
 */
export * from './core/errors.js';

// Redis and Kafka abstractions with real and in-memory backends.
export * from './core/store/index.js';
export * from './core/bus/index.js';

// Utilities (seed 6.2 - 6.8).
export * from './settings.js';
export * from './core/logging/index.js';
export { withTimeout, timeout } from './core/method-timer.js';
export * from './core/queues/index.js';
export * from './core/throttle/index.js';
export * from './core/stats/index.js';
export { KeyLock } from './core/lock/key-lock.js';
export { Heartbeat, newProcessId, machineName } from './core/heartbeat.js';
export { registeredDomain, parseCrawlUrl } from './core/domain.js';
export {
  ZookeeperWatcher,
  type ZookeeperWatcherOptions,
  type WatcherHandlers,
  pushConfig,
  type PushConfigOptions,
  type PushConfigResult,
  connectZookeeper,
  closeZookeeper,
} from './core/zookeeper/index.js';

// Kafka Monitor.
export { KafkaMonitor, type KafkaMonitorOptions } from './kafka-monitor/monitor.js';
export {
  ActionHandler,
  ScraperHandler,
  StatsHandler,
  ZookeeperHandler,
  type KafkaMonitorPlugin,
  type PluginContext,
  type Transaction,
} from './kafka-monitor/plugins/index.js';
export { SchemaValidator } from './core/wire/validator.js';

// Crawler: spiders, link extraction, fetching, the crawler process and its test web.
export * from './crawler/spider/index.js';
export {
  canonicalizeUrl,
  requestFingerprint,
  extractLinks,
  compileLinkFilter,
  IGNORED_EXTENSIONS,
  type ExtractedLink,
  type ExtractLinksOptions,
  type LinkFilterOptions,
} from './crawler/links/index.js';
export {
  Fetcher,
  FetchError,
  type FetchRequest,
  type FetchResponse,
  type FetcherOptions,
} from './crawler/fetch/index.js';
export { Crawler, type CrawlerOptions } from './crawler/crawler.js';
// Extension points: item pipelines, downloader and spider middlewares (docs/extending.md).
export * from './crawler/middleware/index.js';
export { startTestWeb, type TestWeb, type TestWebOptions } from './testweb/index.js';

// Redis Monitor and REST service.
export {
  RedisMonitor,
  BaseMonitor,
  KafkaBaseMonitor,
  InfoMonitor,
  StopMonitor,
  ExpireMonitor,
  StatsMonitor,
  ZookeeperMonitor,
  type RedisMonitorPlugin,
  type RedisMonitorContext,
} from './redis-monitor/index.js';
export * from './rest/index.js';

// Standalone mode: the whole cluster in one process, and the one-shot crawl on it.
export {
  startStandalone,
  type StandaloneBackends,
  type StandaloneCluster,
  type StandaloneOptions,
  crawl,
  type CrawlOptions,
  type CrawlProgress,
  type CrawlResult,
  type CrawlSummary,
} from './standalone/index.js';
