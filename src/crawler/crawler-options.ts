import type { Bus } from '../core/bus/index.js';
import type { Logger } from '../core/logging/index.js';
import type { CrawlerSettings } from './settings.js';
import type { Store } from '../core/store/index.js';
import type { SpiderClass } from './spider/index.js';

// What a crawler process is given: its settings, connections, spider and where its domain config comes
// from.

export interface CrawlerOptions {
  settings: CrawlerSettings & Record<string, unknown>;
  store: Store;
  bus: Bus;
  logger: Logger;
  spider: SpiderClass;
  /** Watch ZooKeeper for domain config (default: when ZOOKEEPER_HOSTS is set). */
  zookeeper?: boolean;
  /**
   * Another source of the domain config document (the embedded single-process mode's in-memory config
   * node): `subscribe` calls back with the contents now and after every change, and returns the
   * unsubscribe function. Used instead of ZooKeeper unless `zookeeper` is true.
   */
  configSource?: DomainConfigSource;
  /** Serve /metrics, /healthz, /readyz on METRICS_HOST:METRICS_PORT (default true; standalone: false). */
  metricsListener?: boolean;
  /** Milliseconds between crawl-finished checks (default 5000; tests shorten it). */
  crawlCheckMs?: number;
  /**
   * Where module paths in ITEM_PIPELINES, DOWNLOADER_MIDDLEWARES and SPIDER_MIDDLEWARES are resolved from
   * (the CLI passes the settings file's directory; default the working directory).
   */
  extensionDir?: string;
}

/** A followed domain config document (YAML, as in the ZooKeeper node). */
export interface DomainConfigSource {
  subscribe(listener: (contents: string) => void): () => void;
}
