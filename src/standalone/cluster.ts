import type { AddressInfo } from 'node:net';
import { connectBus, MemoryBroker, MemoryBus, type Bus } from '../core/bus/index.js';
import { errorMessage } from '../core/errors.js';
import { createLogger, type Logger } from '../core/logging/index.js';
import { logOptionsFromSettings, type Component } from '../settings.js';
import { connectStore, MemoryEngine, MemoryStore, type Store } from '../core/store/index.js';
import { configNodePath } from '../core/zookeeper/index.js';
import { Crawler } from '../crawler/crawler.js';
import { resolveSpider, type SpiderClass } from '../crawler/spider/index.js';
import { KafkaMonitor } from '../kafka-monitor/monitor.js';
import { RedisMonitor } from '../redis-monitor/monitor.js';
import { ZookeeperMonitor } from '../redis-monitor/plugins/index.js';
import { MemoryConfigNode } from '../redis-monitor/zookeeper/config-node.js';
import { RestService } from '../rest/service.js';
import {
  resolveStandaloneSettings,
  type StandaloneSettings,
  type StandaloneSettingsSource,
} from './settings.js';
import { registerStreamRoutes, StreamHub } from './streams.js';
import { topicNames } from '../core/wire/topics.js';

export interface StandaloneOptions extends StandaloneSettingsSource {
  /**
   * `auto` (default): a real Redis, Kafka or ZooKeeper when REDIS_HOST, KAFKA_HOSTS or ZOOKEEPER_HOSTS is
   * named in the environment, the settings file or the overrides, the in-memory one otherwise.
   * `memory`: always in memory (the demo).
   */
  backends?: 'auto' | 'memory';
  /** Append one JSON crawl result per line to this file. */
  output?: string;
  /** REST port (default FLASK_PORT; 0 picks a free one) and address (default REST_BIND). */
  port?: number;
  host?: string;
  /** Spider type (link, wandering, sitemap), spider file, or class (default link). */
  spider?: string | SpiderClass;
  /** One logger for every component instead of each component's own from its settings. */
  logger?: Logger;
  /** Seconds requests in flight may finish when stopping (default 5). */
  graceSeconds?: number;
  /** Milliseconds between the crawler's crawl-finished checks (default 5000). */
  crawlCheckMs?: number;
}

/** What runs where: the backends in use, for the startup banner and the demo. */
export interface StandaloneBackends {
  store: 'memory' | 'redis';
  bus: 'memory' | 'kafka';
  config: 'memory' | 'zookeeper';
}

/** A running single-process cluster. */
export interface StandaloneCluster {
  readonly settings: StandaloneSettings;
  readonly backends: StandaloneBackends;
  /** The REST service's base URL, e.g. `http://127.0.0.1:5343`. */
  readonly url: string;
  readonly address: AddressInfo;
  readonly kafkaMonitor: KafkaMonitor;
  readonly redisMonitor: RedisMonitor;
  readonly crawler: Crawler;
  readonly rest: RestService;
  readonly streams: StreamHub;
  /** A store of the cluster (shared engine in memory), for inspection. */
  readonly store: Store;
  /** The embedded domain config node, when not on ZooKeeper. */
  readonly configNode: MemoryConfigNode | undefined;
  /** Stops everything, in order: REST, crawler (requests in flight finish), monitors, streams. */
  close(): Promise<void>;
}

/**
 * Kafka Monitor, Redis Monitor, crawler and REST service in one process. On the in-memory bus and store
 * (one MemoryBroker and one MemoryEngine shared by all components, each with its own client as separate
 * processes would have) unless real servers are named; without ZooKeeper the Redis Monitor's zookeeper
 * plugin edits an embedded config node that the crawler follows like a ZooKeeper watch.
 */
export async function startStandalone(options: StandaloneOptions = {}): Promise<StandaloneCluster> {
  const settings = await resolveStandaloneSettings(options);
  const memoryOnly = options.backends === 'memory';
  const backends: StandaloneBackends = {
    store: !memoryOnly && settings.real.redis ? 'redis' : 'memory',
    bus: !memoryOnly && settings.real.kafka ? 'kafka' : 'memory',
    config: !memoryOnly && settings.real.zookeeper ? 'zookeeper' : 'memory',
  };
  const engine = new MemoryEngine();
  const broker = new MemoryBroker();
  const openStore = (name: string): Promise<Store> =>
    backends.store === 'memory'
      ? Promise.resolve(new MemoryStore(engine))
      : connectStore(settings.crawler, `standalone-${name}`);
  const openBus = (name: string, timeoutSeconds?: number): Promise<Bus> =>
    backends.bus === 'memory'
      ? Promise.resolve(new MemoryBus(broker))
      : connectBus(settings.crawler, {
          clientId: `standalone-${name}`,
          ...(timeoutSeconds ? { timeoutMs: timeoutSeconds * 1000 } : {}),
        });

  const ownLoggers: Logger[] = [];
  const loggerFor = <C extends Component>(component: C): Logger => {
    if (options.logger) return options.logger;
    const logger = createLogger(logOptionsFromSettings(component, settings[component]));
    ownLoggers.push(logger);
    return logger;
  };

  // Everything opened so far, closed in reverse on failure or shutdown.
  const cleanups: (() => Promise<unknown>)[] = [];
  const closeAll = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (err) {
        (options.logger ?? ownLoggers[0])?.warning('Problem while stopping', { error: errorMessage(err) });
      }
    }
    for (const logger of ownLoggers.splice(0)) logger.close();
  };

  try {
    const spider =
      typeof options.spider === 'function' ? options.spider : await resolveSpider(options.spider ?? 'link');
    const crawlerSettings = settings.crawler;
    const prefix = crawlerSettings.KAFKA_TOPIC_PREFIX;
    const restSettings = settings.rest;
    const restLogger = loggerFor('rest');

    // Streams first, so nothing published after startup is missed.
    const streamBus = await openBus('streams');
    cleanups.push(() => streamBus.close());
    if (backends.bus === 'kafka') {
      // Create the cluster's topics up front, so no consumer waits for auto-creation (best effort: a
      // broker that forbids it may have them already).
      const topics = [
        settings['kafka-monitor'].KAFKA_INCOMING_TOPIC,
        topicNames.crawledFirehose(prefix),
        topicNames.outboundFirehose(restSettings.KAFKA_TOPIC_PREFIX),
      ];
      await streamBus
        .createTopics(topics)
        .catch((err: unknown) =>
          restLogger.warning('Unable to create the topics', { topics, error: errorMessage(err) }),
        );
    }
    const streams = new StreamHub(
      streamBus,
      {
        crawled: topicNames.crawledFirehose(prefix),
        outbound: topicNames.outboundFirehose(restSettings.KAFKA_TOPIC_PREFIX),
      },
      restLogger,
    );
    await streams.start(options.output);
    cleanups.push(() => streams.close());

    // Kafka Monitor.
    const kmSettings = settings['kafka-monitor'];
    const kmStore = await openStore('kafka-monitor');
    cleanups.push(() => kmStore.close());
    const kmBus = await openBus('kafka-monitor');
    cleanups.push(() => kmBus.close());
    const kafkaMonitor = await KafkaMonitor.create({
      settings: kmSettings,
      store: kmStore,
      bus: kmBus,
      logger: loggerFor('kafka-monitor'),
      // The REST port serves /metrics for the whole process (one registry).
      metricsListener: false,
    });
    await kafkaMonitor.start();
    cleanups.push(() => kafkaMonitor.close());

    // Redis Monitor, with the embedded config node unless on ZooKeeper.
    const rmSettings = settings['redis-monitor'];
    const configNode =
      backends.config === 'memory'
        ? new MemoryConfigNode(configNodePath(rmSettings.ZOOKEEPER_ASSIGN_PATH, rmSettings.ZOOKEEPER_ID))
        : undefined;
    const rmStore = await openStore('redis-monitor');
    cleanups.push(() => rmStore.close());
    const rmBus = await openBus('redis-monitor');
    cleanups.push(() => rmBus.close());
    const redisMonitor = await RedisMonitor.create({
      settings: rmSettings,
      store: rmStore,
      bus: rmBus,
      logger: loggerFor('redis-monitor'),
      metricsListener: false,
      ...(configNode ? { builtIns: { ZookeeperMonitor: new ZookeeperMonitor({ node: configNode }) } } : {}),
    });
    redisMonitor.start();
    cleanups.push(() => redisMonitor.close());

    // Crawler, following the embedded config node or ZooKeeper.
    const crStore = await openStore('crawler');
    cleanups.push(() => crStore.close());
    const crBus = await openBus('crawler');
    cleanups.push(() => crBus.close());
    const crawler = new Crawler({
      settings: crawlerSettings,
      store: crStore,
      bus: crBus,
      logger: loggerFor('crawler'),
      spider,
      metricsListener: false,
      ...(options.crawlCheckMs ? { crawlCheckMs: options.crawlCheckMs } : {}),
      zookeeper: backends.config === 'zookeeper',
      ...(configNode ? { configSource: configNode } : {}),
    });
    await crawler.start();
    cleanups.push(() => crawler.stop(options.graceSeconds ?? 5));

    // REST service, with the streams.
    const rest = new RestService({
      settings: restSettings,
      logger: restLogger,
      connectStore: () => openStore('rest'),
      connectBus: () => openBus('rest', restSettings.KAFKA_FEED_TIMEOUT),
    });
    registerStreamRoutes(rest.app, streams);
    rest.start();
    cleanups.push(() => rest.close());
    await rest.connected();
    const address = await rest.listen({
      ...(options.port !== undefined ? { port: options.port } : {}),
      ...(options.host !== undefined ? { host: options.host } : {}),
    });
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const shownHost = host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host;

    let closing: Promise<void> | undefined;
    return {
      settings,
      backends,
      url: `http://${shownHost}:${address.port}`,
      address,
      kafkaMonitor,
      redisMonitor,
      crawler,
      rest,
      streams,
      store: crStore,
      configNode,
      close: () => (closing ??= closeAll()),
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
