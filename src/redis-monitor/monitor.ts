import type { Bus } from '../core/bus/index.js';
import { BadInputError, errorMessage } from '../core/errors.js';
import { Heartbeat, machineName, newProcessId } from '../core/heartbeat.js';
import { KeyLock } from '../core/lock/key-lock.js';
import type { Logger } from '../core/logging/index.js';
import { Readiness, startMetricsListener, type MetricsListener } from '../core/metrics/index.js';
import { loadPlugins, type RankedPlugin } from '../core/plugins.js';
import type { RedisMonitorSettings } from './settings.js';
import { ComponentStats } from '../core/stats/index.js';
import type { Store } from '../core/store/index.js';
import { RedisMonitorMetrics } from './metrics.js';
import type { RedisMonitorContext, RedisMonitorPlugin, RedisMonitorPluginExport } from './plugin.js';
import { BUILT_IN_PLUGINS } from './plugins/index.js';
import { DeliveryError } from './reply.js';
import { jobDone, jobFailed } from './scripts.js';
import { ClusterStats } from './stats/cluster-stats.js';
import { crawlerDump, queueDump } from './stats/dumps.js';
import { redisKeys } from '../core/wire/keys.js';

export interface RedisMonitorOptions {
  settings: RedisMonitorSettings & Readonly<Record<string, unknown>>;
  store: Store;
  bus: Bus;
  logger: Logger;
  /** Directory PLUGINS module paths are resolved from (the settings file's). */
  pluginDir?: string;
  /**
   * Plugins (classes or instances) that replace or add to the built-in ones by name; PLUGINS still
   * selects and ranks them. For embedding and tests, e.g. a ZookeeperMonitor on another config node.
   */
  builtIns?: Record<string, RedisMonitorPluginExport>;
  /** Seconds between heartbeats; default 5. */
  heartbeatInterval?: number;
  /** Serve /metrics, /healthz, /readyz on METRICS_HOST:METRICS_PORT (default true; standalone: false). */
  metricsListener?: boolean;
}

/** What became of one job key in a pass. */
export type JobOutcome = 'done' | 'locked' | 'gone' | 'waiting' | 'retry' | 'dropped';

const SCAN_COUNT = 1000;
const MAX_BACKOFF_SECONDS = 30;

/**
 * The Redis Monitor (facts 8.2): pass after pass, for each plugin in rank order, finds its job keys with
 * SCAN, takes each key's lock (`lock:<key>`, as python-redis-lock names it), checks the precondition,
 * handles the job and deletes the key. Any number of monitors can run against one Redis: the lock and a
 * re-read of the key under it make each job handled exactly once. Redis or Kafka trouble never ends the
 * loop: the pass is abandoned, logged, and retried after a growing pause.
 */
export class RedisMonitor {
  readonly id = newProcessId();
  private heartbeat: Heartbeat | undefined;
  private loopDone: Promise<void> | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;
  private lastDump = Date.now();
  private readonly clusterStats: ClusterStats;
  readonly metrics = new RedisMonitorMetrics();
  readonly readiness: Readiness;
  private metricsListener: MetricsListener | undefined;
  private metricsStarting: Promise<number | undefined> | undefined;
  private readonly startedAt = Date.now();

  private constructor(
    private readonly options: RedisMonitorOptions,
    private readonly plugins: RankedPlugin<RedisMonitorPlugin>[],
    readonly stats: ComponentStats,
  ) {
    this.clusterStats = new ClusterStats(options.store, options.logger);
    this.readiness = new Readiness({
      redis: () => options.store.ping(),
      kafka: () => options.bus.listTopics().then(() => true),
    });
  }

  static async create(options: RedisMonitorOptions): Promise<RedisMonitor> {
    const { settings, store, bus, logger } = options;
    const ranked = await loadPlugins<RedisMonitorPlugin>(
      settings.PLUGINS,
      { ...BUILT_IN_PLUGINS, ...options.builtIns },
      {
        ...(options.pluginDir ? { baseDir: options.pluginDir } : {}),
        validate: (plugin, id) => {
          if (
            typeof plugin.name !== 'string' ||
            typeof plugin.pattern !== 'string' ||
            typeof plugin.handle !== 'function'
          )
            throw new BadInputError(`Plugin ${id} needs a name, a pattern and a handle(key, value) method`);
        },
      },
    );
    const context: RedisMonitorContext = { store, bus, logger, settings };
    for (const { plugin } of ranked) await plugin.setup?.(context);
    const stats = ComponentStats.fromSettings(store, 'stats:redis-monitor', settings, logger);
    return new RedisMonitor(options, ranked, stats);
  }

  get pluginNames(): string[] {
    return this.plugins.map((p) => p.plugin.name);
  }

  /** Heartbeat key `stats:redis-monitor:self:<hostname>:<id>`, counted by the Stats API. */
  get heartbeatKey(): string {
    return redisKeys.selfStats('redis-monitor', machineName(), this.id);
  }

  /** Starts the heartbeat and the loop in the background. */
  start(): void {
    if (this.loopDone) return;
    const { settings, store, logger } = this.options;
    this.heartbeat = new Heartbeat(
      store,
      this.heartbeatKey,
      settings.HEARTBEAT_TIMEOUT,
      this.options.heartbeatInterval ?? 5,
      logger,
    );
    this.heartbeat.start();
    this.lastDump = Date.now();
    this.loopDone = this.loop();
    logger.info('Redis Monitor started', { plugins: this.pluginNames, id: this.id });
    void this.startMetrics();
  }

  /** Starts the /metrics, /healthz, /readyz listener (start() does); resolves with its port, if any. */
  startMetrics(): Promise<number | undefined> {
    const { settings, logger } = this.options;
    this.metricsStarting ??= (async () => {
      if (!(this.options.metricsListener ?? true)) return undefined;
      this.metricsListener = await startMetricsListener({
        component: 'redis-monitor',
        host: settings.METRICS_HOST,
        port: settings.METRICS_PORT,
        health: { live: () => this.loopDone !== undefined && !this.stopping, readiness: this.readiness },
        logger,
      });
      return this.metricsListener?.port;
    })();
    return this.metricsStarting;
  }

  /** Port of the /metrics listener, when it runs. */
  get metricsPort(): number | undefined {
    return this.metricsListener?.port;
  }

  private async loop(): Promise<void> {
    const { settings, logger } = this.options;
    let backoff = 0;
    while (!this.stopping) {
      try {
        await this.runOnce();
        await this.dumpIfDue();
        if (backoff > 0) logger.info('Redis Monitor recovered');
        backoff = 0;
      } catch (err) {
        this.metrics.passFailed();
        backoff = Math.min(MAX_BACKOFF_SECONDS, backoff > 0 ? backoff * 2 : 0.5);
        const what =
          err instanceof DeliveryError ? 'Unable to send replies to Kafka' : 'Redis Monitor pass failed';
        logger.error(`${what}, retrying in ${backoff} s`, { error: errorMessage(err) });
      }
      await this.pause(backoff > 0 ? backoff : settings.SLEEP_TIME);
    }
  }

  private pause(seconds: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, seconds * 1000);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  /**
   * One pass over every plugin's keys. Throws when Redis fails or a reply cannot be delivered (the
   * loop backs off then); job failures are handled per job.
   */
  async runOnce(): Promise<void> {
    try {
      for (const { plugin } of this.plugins) {
        if (this.stopping) return;
        await this.processPlugin(plugin);
      }
    } finally {
      await this.stats
        .flush()
        .catch((err: unknown) =>
          this.options.logger.debug('Stats not recorded', { error: errorMessage(err) }),
        );
    }
  }

  private async processPlugin(plugin: RedisMonitorPlugin): Promise<void> {
    const { store } = this.options;
    for await (const keys of store.scan(plugin.pattern, SCAN_COUNT)) {
      // One round trip for the batch; jobs that are gone or not due yet are skipped without a lock.
      const values = await store.mget(keys);
      for (let i = 0; i < keys.length; i++) {
        if (this.stopping) return;
        const value = values[i];
        if (value === null || value === undefined) continue;
        if (plugin.checkPrecondition) {
          let due = true;
          try {
            due = await plugin.checkPrecondition(keys[i]!, value);
          } catch {
            // Decided (and reported) under the lock.
          }
          if (!due) continue;
        }
        try {
          this.metrics.job(plugin.name, await this.processKey(plugin, keys[i]!));
        } catch (err) {
          this.metrics.job(plugin.name, 'error');
          throw err;
        }
      }
    }
  }

  /**
   * Handles one job key under its lock: re-reads it (another monitor may have finished it), checks the
   * precondition, handles it and deletes it. A failure is counted in `lock:<key>:failures`; the job is
   * retried on later passes up to RETRY_FAILURES_MAX times, then dropped.
   */
  async processKey(plugin: RedisMonitorPlugin, key: string): Promise<JobOutcome> {
    const { store, settings, logger } = this.options;
    const lock = new KeyLock(store, key, settings.REDIS_LOCK_EXPIRATION);
    if (!(await lock.acquire())) return 'locked';
    try {
      const value = await store.get(key);
      if (value === null) return 'gone';
      const item = `${key}:${value}${Date.now() / 1000}`;
      try {
        if (plugin.checkPrecondition && !(await plugin.checkPrecondition(key, value))) return 'waiting';
        this.stats.record('total', item);
        this.stats.record(plugin.name, item);
        await plugin.handle(key, value);
        await store.run(jobDone, [key, redisKeys.lockFailures(key)], [value]);
        return 'done';
      } catch (err) {
        this.stats.record('fail', item);
        // Kafka is away: keep the job as it is and let the loop back off.
        if (err instanceof DeliveryError) throw err;
        logger.error('Error processing key', {
          key,
          plugin: plugin.name,
          error: errorMessage(err),
          ...(err instanceof Error && err.stack ? { traceback: err.stack } : {}),
        });
        return await this.processFailure(plugin, key, value, !(err instanceof BadInputError));
      }
    } finally {
      await lock.release().catch(() => false);
    }
  }

  private async processFailure(
    plugin: RedisMonitorPlugin,
    key: string,
    value: string,
    retryable: boolean,
  ): Promise<JobOutcome> {
    const { store, settings, logger } = this.options;
    const retry = retryable && settings.RETRY_FAILURES;
    const failures = Number(
      await store.run(
        jobFailed,
        [key, redisKeys.lockFailures(key)],
        [value, settings.RETRY_FAILURES_MAX, retry ? '1' : '0'],
      ),
    );
    if (failures >= 0) {
      logger.debug('Incr fail key', { key, failures });
      return 'retry';
    }
    logger.error('Could not process action within failure limit', { key, plugin: plugin.name });
    return 'dropped';
  }

  /** The periodic dumps of STATS_DUMP, STATS_DUMP_CRAWL and STATS_DUMP_QUEUE (logs only). */
  private async dumpIfDue(): Promise<void> {
    const { settings } = this.options;
    if (settings.STATS_DUMP <= 0 || Date.now() - this.lastDump < settings.STATS_DUMP * 1000) return;
    this.lastDump = Date.now();
    await this.dumpStats();
  }

  async dumpStats(): Promise<void> {
    const { settings, logger } = this.options;
    try {
      if (settings.STATS_TOTAL || settings.STATS_PLUGINS)
        logger.info('Redis Monitor Stats Dump', await this.stats.dump());
      if (settings.STATS_DUMP_CRAWL) logger.info('Crawler Stats Dump', await crawlerDump(this.clusterStats));
      if (settings.STATS_DUMP_QUEUE) logger.info('Queue Stats Dump', await queueDump(this.clusterStats));
    } catch (err) {
      logger.warning('Unable to dump stats', { error: errorMessage(err) });
    }
  }

  /** Stops after the job in hand, then closes the heartbeat, the stats and the plugins. */
  async close(): Promise<void> {
    const { logger } = this.options;
    logger.info('Closing Redis Monitor');
    this.stopping = true;
    this.wake?.();
    await this.loopDone;
    await this.metricsStarting;
    await this.metricsListener?.close();
    const jobs = Object.fromEntries(this.metrics.totals);
    logger.info(
      `Redis Monitor stats: ${[...this.metrics.totals].map(([k, n]) => `${k}: ${n}`).join(', ') || 'no jobs'} in ${Math.round((Date.now() - this.startedAt) / 1000)} s`,
      { jobs },
    );
    await this.heartbeat?.stop();
    this.stats.stop();
    for (const { plugin, id } of this.plugins) {
      try {
        await plugin.close?.();
      } catch (err) {
        logger.warning('Plugin failed to close', { plugin: id, error: errorMessage(err) });
      }
    }
  }
}
