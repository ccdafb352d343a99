import type { Bus, BusMessage, Subscription } from '../core/bus/index.js';
import { BadInputError, errorMessage } from '../core/errors.js';
import { Heartbeat, machineName, newProcessId } from '../core/heartbeat.js';
import type { Logger } from '../core/logging/index.js';
import { loadPlugins, type RankedPlugin } from '../core/plugins.js';
import type { KafkaMonitorSettings } from '../core/settings/index.js';
import { ComponentStats } from '../core/stats/index.js';
import type { Store } from '../core/store/index.js';
import { BUILT_IN_PLUGINS, type KafkaMonitorPlugin } from './plugins/index.js';
import { BatchTransaction } from './transaction.js';
import { SchemaValidator, type JsonObject } from './validator.js';

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
}

const HEARTBEAT_INTERVAL = 5;

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

  private constructor(
    private readonly options: KafkaMonitorOptions,
    private readonly plugins: LoadedPlugin[],
    readonly stats: ComponentStats,
  ) {
    this.maxMessageBytes = Number(options.settings.KAFKA_CONSUMER_FETCH_MESSAGE_MAX_BYTES);
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

  get pluginNames(): string[] {
    return this.plugins.map((p) => p.plugin.name);
  }

  /** Starts consuming; resolves once the consumer owns its partitions. */
  async start(): Promise<void> {
    const { settings, bus, store, logger } = this.options;
    this.heartbeat = new Heartbeat(
      store,
      `stats:kafka-monitor:self:${machineName()}:${this.id}`,
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
    });
    await this.subscription.ready;
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
    for (const message of messages) await this.processMessage(message, tx);
    try {
      await tx.commit();
    } catch (err) {
      this.stats.discard();
      if (!this.redisFailing)
        logger.error('Unable to write requests to Redis, will retry', { error: errorMessage(err) });
      this.redisFailing = true;
      throw err;
    }
    if (this.redisFailing) logger.info('Writing requests to Redis again');
    this.redisFailing = false;
    await this.stats
      .flush()
      .catch((err: unknown) => logger.debug('Stats not recorded', { error: errorMessage(err) }));
  }

  private async processMessage(message: BusMessage, tx: BatchTransaction): Promise<void> {
    const { logger } = this.options;
    // The broker's timestamp, not the local clock: a redelivered request gets the same `ts`, so its queue
    // member is byte-identical and cannot be queued twice.
    const ts = message.timestamp / 1000;
    this.stats.record('total', `${message.value}${ts}`);
    if (Buffer.byteLength(message.value) > this.maxMessageBytes) {
      logger.warning('Request exceeds the size limit', {
        parsed: false,
        valid: false,
        size: Buffer.byteLength(message.value),
        limit: this.maxMessageBytes,
      });
      this.stats.record('fail', `${message.value}${ts}`);
      return;
    }
    let request: unknown;
    try {
      request = JSON.parse(message.value);
    } catch {
      logger.warning('Unparseable JSON Received', { parsed: false, valid: false, data: message.value });
      this.stats.record('fail', `${message.value}${ts}`);
      return;
    }
    let found = false;
    for (const { plugin, validator } of this.plugins) {
      const validation = validator.validate(request);
      if (!validation.ok) continue;
      found = true;
      const value: JsonObject = { ...validation.value, ts };
      this.stats.record(plugin.name, `${message.value}${ts}`);
      try {
        if ((await plugin.handle(value, tx)) === undefined) break;
      } catch (err) {
        if (!(err instanceof BadInputError)) throw err;
        logger.error(err.message, { parsed: true, valid: false, data: request, plugin: plugin.name });
        this.stats.record('fail', `${message.value}${ts}`);
        return;
      }
    }
    if (!found) {
      logger.warning('Did not find schema to validate request', {
        parsed: true,
        valid: false,
        data: request,
      });
      this.stats.record('fail', `${message.value}${ts}`);
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
    this.options.logger.info('Closing Kafka Monitor');
    clearInterval(this.dumpTimer);
    await this.subscription?.close();
    await this.heartbeat?.stop();
    this.stats.stop();
    for (const { plugin } of this.plugins) await plugin.close?.();
  }
}
