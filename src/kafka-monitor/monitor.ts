import type { Bus, BusMessage, Subscription } from '../core/bus/index.js';
import { BadInputError, errorMessage } from '../core/errors.js';
import { Heartbeat, machineName, newProcessId } from '../core/heartbeat.js';
import { safePayload, type Logger } from '../core/logging/index.js';
import { Readiness, startMetricsListener, type MetricsListener } from '../core/metrics/index.js';
import { loadPlugins, type RankedPlugin } from '../core/plugins.js';
import type { KafkaMonitorSettings } from './settings.js';
import { ComponentStats } from '../core/stats/index.js';
import type { Store } from '../core/store/index.js';
import { KafkaMonitorMetrics } from './metrics.js';
import { FeedValidator } from '../core/wire/feed-validator.js';
import { BUILT_IN_PLUGINS, type KafkaMonitorPlugin } from './plugins/index.js';
import { BatchTransaction } from './transaction.js';
import { SchemaValidator, type JsonObject } from '../core/wire/validator.js';
import { redisKeys } from '../core/wire/keys.js';

interface LoadedPlugin extends RankedPlugin<KafkaMonitorPlugin> {
  validator: SchemaValidator;
}

export interface KafkaMonitorOptions {
  settings: KafkaMonitorSettings;
  store: Store;
  bus: Bus;
  logger: Logger;
  /** Directory PLUGINS module paths are resolved from (the settings file's). */
  pluginDir?: string;
  /** Serve /metrics, /healthz, /readyz on METRICS_HOST:METRICS_PORT (default true; standalone: false). */
  metricsListener?: boolean;
}

const HEARTBEAT_INTERVAL = 5;

/**
 * A plugin's "this request can never succeed": a BadInputError, or any Error with its code, so a plugin
 * that cannot import our class (another copy of the package, a plain script) can still say so.
 */
function isBadInput(err: unknown): err is Error {
  return (
    err instanceof BadInputError ||
    (err instanceof Error && (err as { code?: unknown }).code === 'SC_BAD_INPUT')
  );
}

/**
 * Reads API requests from the incoming topic, validates each against the plugins' schemas in rank order
 * and lets the first match write its Redis keys. A batch's writes go to Redis in one round trip, and the
 * batch's offsets are committed only after that succeeded; while Redis is down the batch is retried with
 * backoff, so nothing is skipped or lost.
 */
export class KafkaMonitor {
  readonly id = newProcessId();
  private subscription: Subscription | undefined;
  private heartbeat: Heartbeat | undefined;
  private dumpTimer: NodeJS.Timeout | undefined;
  private readonly maxMessageBytes: number;
  private redisFailing = false;
  private statsWrite: Promise<void> = Promise.resolve();
  readonly metrics = new KafkaMonitorMetrics();
  readonly readiness: Readiness;
  private metricsListener: MetricsListener | undefined;
  private running = false;
  private readonly startedAt = Date.now();

  private explainer: FeedValidator | undefined;

  private constructor(
    private readonly options: KafkaMonitorOptions,
    private readonly plugins: LoadedPlugin[],
    readonly stats: ComponentStats,
  ) {
    this.maxMessageBytes = Number(options.settings.KAFKA_CONSUMER_FETCH_MESSAGE_MAX_BYTES);
    this.readiness = new Readiness({
      redis: () => options.store.ping(),
      kafka: () => options.bus.listTopics().then(() => true),
      // The consumer itself, which reconnects on its own after an outage: down until it consumes again.
      consumer: () => Promise.resolve(this.subscription?.healthy() ?? false),
    });
  }

  static async create(options: KafkaMonitorOptions): Promise<KafkaMonitor> {
    const { settings, store, logger } = options;
    const ranked = await loadPlugins<KafkaMonitorPlugin>(settings.PLUGINS, BUILT_IN_PLUGINS, {
      ...(options.pluginDir ? { baseDir: options.pluginDir } : {}),
      validate: (plugin, id) => {
        if (!plugin.schema || typeof plugin.handle !== 'function') {
          throw new BadInputError(`Plugin ${id} needs a schema and a handle(request, tx) method`);
        }
      },
    });
    const plugins: LoadedPlugin[] = [];
    for (const entry of ranked) {
      await entry.plugin.setup?.({ store, logger, settings });
      plugins.push({ ...entry, validator: new SchemaValidator(entry.plugin.schema) });
    }
    const stats = ComponentStats.fromSettings(store, 'stats:kafka-monitor', settings, logger);
    return new KafkaMonitor(options, plugins, stats);
  }

  /** Port of the /metrics listener, when it runs. */
  get metricsPort(): number | undefined {
    return this.metricsListener?.port;
  }

  /** Whether the monitor is consuming from Kafka now (false while it reconnects). */
  get consuming(): boolean {
    return this.subscription?.healthy() ?? false;
  }

  get pluginNames(): string[] {
    return this.plugins.map((p) => p.plugin.name);
  }

  /** Starts consuming; resolves once the consumer owns its partitions. */
  async start(): Promise<void> {
    const { settings, bus, store, logger } = this.options;
    this.heartbeat = new Heartbeat(
      store,
      redisKeys.selfStats('kafka-monitor', machineName(), this.id),
      settings.HEARTBEAT_TIMEOUT,
      HEARTBEAT_INTERVAL,
      logger,
    );
    this.heartbeat.start();
    if (settings.STATS_DUMP > 0) {
      this.dumpTimer = setInterval(() => void this.dumpStats(), settings.STATS_DUMP * 1000);
      this.dumpTimer.unref();
    }
    this.subscription = await bus.subscribe({
      topics: [settings.KAFKA_INCOMING_TOPIC],
      groupId: settings.KAFKA_GROUP,
      fromBeginning: settings.KAFKA_CONSUMER_AUTO_OFFSET_RESET === 'earliest',
      maxBatch: 1000,
      handler: (messages) => this.processBatch(messages),
      onError: (err) =>
        logger.error('Error while processing incoming requests, retrying', { error: errorMessage(err) }),
      onConnectionChange: (connected, cause) => {
        if (connected) logger.info('Consuming incoming requests from Kafka again');
        else
          logger.error('Lost the connection to Kafka, reconnecting', {
            error: cause ? errorMessage(cause) : 'unknown',
          });
      },
    });
    await this.subscription.ready;
    this.running = true;
    if (this.options.metricsListener ?? true)
      this.metricsListener = await startMetricsListener({
        component: 'kafka-monitor',
        host: settings.METRICS_HOST,
        port: settings.METRICS_PORT,
        health: { live: () => this.running, readiness: this.readiness },
        logger,
      });
    logger.info('Kafka Monitor started', {
      topic: settings.KAFKA_INCOMING_TOPIC,
      group: settings.KAFKA_GROUP,
      plugins: this.pluginNames,
    });
  }

  /** Handles one batch of incoming records; throws (so the batch is retried) only when Redis failed. */
  async processBatch(messages: BusMessage[]): Promise<void> {
    const { store, logger } = this.options;
    const tx = new BatchTransaction(store.pipeline());
    this.stats.discard();
    for (const message of messages) {
      try {
        await this.processMessage(message, tx);
      } catch (err) {
        // Only a failing Redis may hold a batch, and its writes fail in tx.commit below. Anything a
        // record makes go wrong here (a plugin bug, an exhausted stack) would otherwise retry the same
        // batch forever and stall the partition: the record is counted, logged and committed past.
        this.stats.record('fail', `${message.topic}:${message.partition}:${message.offset}`);
        this.metrics.refused('skipped');
        logger.error('Unable to handle request, skipped', {
          parsed: null,
          valid: false,
          error: errorMessage(err),
          offset: String(message.offset),
          partition: message.partition,
          data: safePayload(message.value),
        });
      }
    }
    const started = performance.now();
    try {
      await tx.commit();
      this.metrics.wrote((performance.now() - started) / 1000);
    } catch (err) {
      this.metrics.writeFailed();
      this.stats.discard();
      if (!this.redisFailing)
        logger.error('Unable to write requests to Redis, will retry', { error: errorMessage(err) });
      this.redisFailing = true;
      throw err;
    }
    if (this.redisFailing) logger.info('Writing requests to Redis again');
    this.redisFailing = false;
    // Stats are best effort: the batch's hits are taken now and written while the next batch is being
    // handled, with at most one stats write in flight.
    await this.statsWrite;
    this.statsWrite = this.stats
      .flush()
      .catch((err: unknown) => logger.debug('Stats not recorded', { error: errorMessage(err) }));
  }

  private async processMessage(message: BusMessage, tx: BatchTransaction): Promise<void> {
    const { logger } = this.options;
    // The broker's timestamp, not the local clock: a redelivered request gets the same `ts`, so its queue
    // member is byte-identical and cannot be queued twice.
    const ts = message.timestamp / 1000;
    // The lifetime HyperLogLogs count one element per hit (the stats add a unique suffix), so the record's
    // position names it; the original's raw message text would only cost bytes.
    const hit = `${message.topic}:${message.partition}:${message.offset}`;
    this.stats.record('total', hit);
    // A UTF-16 code unit is at most 3 bytes of UTF-8, so most records need no byte count.
    if (
      message.value.length * 3 > this.maxMessageBytes &&
      Buffer.byteLength(message.value) > this.maxMessageBytes
    ) {
      logger.warning('Request exceeds the size limit', {
        parsed: false,
        valid: false,
        size: Buffer.byteLength(message.value),
        limit: this.maxMessageBytes,
      });
      this.metrics.refused('too-large');
      this.stats.record('fail', hit);
      return;
    }
    let request: unknown;
    try {
      request = JSON.parse(message.value);
    } catch {
      logger.warning('Unparseable JSON Received', {
        parsed: false,
        valid: false,
        data: safePayload(message.value),
      });
      this.metrics.refused('unparseable');
      this.stats.record('fail', hit);
      return;
    }
    let found = false;
    const causes: string[] = [];
    for (const { plugin, validator } of this.plugins) {
      const validation = validator.validate(request);
      if (!validation.ok) {
        causes.push(`${plugin.name}: ${validation.error}`);
        continue;
      }
      found = true;
      const value: JsonObject = validation.value;
      value.ts = ts;
      this.stats.record(plugin.name, hit);
      this.metrics.handled(plugin.name);
      try {
        if ((await plugin.handle(value, tx)) === undefined) break;
      } catch (err) {
        if (!isBadInput(err)) throw err;
        logger.error(err.message, {
          parsed: true,
          valid: false,
          data: safePayload(request),
          plugin: plugin.name,
        });
        this.metrics.refused('rejected');
        this.stats.record('fail', hit);
        return;
      }
    }
    if (!found) {
      // The same error `kafka-monitor feed` and REST /feed give: the closest schema's, naming the field.
      this.explainer ??= new FeedValidator(
        this.plugins.map((p) => ({ name: p.id, schema: p.plugin.schema })),
      );
      const verdict = this.explainer.validate(request);
      logger.warning('Did not find schema to validate request', {
        parsed: true,
        valid: false,
        ...(verdict.ok ? {} : { error: verdict.cause }),
        // Why each schema refused it, so the sender can be told what to fix.
        cause: causes.join('; ').slice(0, 2048),
        data: safePayload(request),
      });
      this.metrics.refused('no-schema');
      this.stats.record('fail', hit);
    }
  }

  async dumpStats(): Promise<void> {
    try {
      this.options.logger.info('Kafka Monitor Stats Dump', await this.stats.dump());
    } catch (err) {
      this.options.logger.warning('Unable to dump stats', { error: errorMessage(err) });
    }
  }

  async close(): Promise<void> {
    const { logger } = this.options;
    logger.info('Closing Kafka Monitor');
    clearInterval(this.dumpTimer);
    await this.subscription?.close();
    this.running = false;
    await this.metricsListener?.close();
    const t = this.metrics.totals;
    logger.info(
      `Kafka Monitor stats: ${t.requests} requests handled, ${t.invalid} invalid, ${t.batches} batches written, ${t.writeFailures} write failures in ${Math.round((Date.now() - this.startedAt) / 1000)} s`,
      { requests: t.requests, invalid: t.invalid, batches: t.batches, write_failures: t.writeFailures },
    );
    await this.heartbeat?.stop();
    await this.statsWrite;
    this.stats.stop();
    for (const { plugin } of this.plugins) await plugin.close?.();
  }
}
