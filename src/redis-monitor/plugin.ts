import type { Bus } from '../core/bus/index.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logging/index.js';
import type { RedisMonitorSettings } from './settings.js';
import type { Store } from '../core/store/index.js';
import { KafkaReplier } from './reply.js';

/** What every plugin receives in setup(). */
export interface RedisMonitorContext {
  store: Store;
  bus: Bus;
  logger: Logger;
  /** The Redis Monitor's settings, plus any custom settings of the settings file. */
  settings: Readonly<RedisMonitorSettings> & Readonly<Record<string, unknown>>;
}

/**
 * A Redis Monitor plugin (seed 4.3.2): the jobs it owns are the keys matching `pattern`. For each one the
 * monitor takes the key's lock, reads its value, asks `checkPrecondition` (default: yes), calls `handle`
 * and then deletes the key. A `handle` that throws is retried up to RETRY_FAILURES_MAX times before the
 * key is dropped; throwing BadInputError drops it at once.
 */
export interface RedisMonitorPlugin {
  /** Name used in the stats keys (`stats:redis-monitor:<name>:<window>`) and the logs. */
  readonly name: string;
  /** Redis glob (SCAN MATCH) of the job keys, e.g. `info:*:*` (`*` also matches `:`). */
  readonly pattern: string;
  setup?(context: RedisMonitorContext): void | Promise<void>;
  /** False leaves the key untouched, to be asked again on the next pass (e.g. a timeout not yet due). */
  checkPrecondition?(key: string, value: string): boolean | Promise<boolean>;
  handle(key: string, value: string): unknown;
  /** Called once when the monitor closes. */
  close?(): void | Promise<void>;
}

/** What a PLUGINS entry may export: a plugin object or a class with a no-argument constructor. */
export type RedisMonitorPluginExport = RedisMonitorPlugin | (new () => RedisMonitorPlugin);

/** The original's `get_log_dict`: the fields every plugin log line carries. */
export function logDict(
  action: string,
  appid: string,
  fields: { spiderid?: string; uuid?: string; crawlid?: string } = {},
): Record<string, string> {
  const extras: Record<string, string> = { action, appid };
  if (fields.spiderid !== undefined) extras.spiderid = fields.spiderid;
  if (fields.uuid !== undefined) extras.uuid = fields.uuid;
  if (fields.crawlid !== undefined) extras.crawlid = fields.crawlid;
  return extras;
}

/** Base class with the context at hand (the original's BaseMonitor). */
export abstract class BaseMonitor implements RedisMonitorPlugin {
  abstract readonly name: string;
  abstract readonly pattern: string;
  protected context!: RedisMonitorContext;
  /** Seconds since the epoch; replaceable in tests. */
  clock: () => number = () => Date.now() / 1000;

  setup(context: RedisMonitorContext): void {
    this.context = context;
  }

  abstract handle(key: string, value: string): unknown;

  protected get store(): Store {
    return this.context.store;
  }

  protected get logger(): Logger {
    return this.context.logger;
  }

  /** `server_time` of the replies: whole seconds. */
  protected serverTime(): number {
    return Math.trunc(this.clock());
  }
}

/**
 * Base class for plugins that reply on Kafka (the original's KafkaBaseMonitor): `sendToKafka` publishes
 * to the outbound topics and says whether the broker took the message.
 */
export abstract class KafkaBaseMonitor extends BaseMonitor {
  private replier!: KafkaReplier;

  override setup(context: RedisMonitorContext): void {
    super.setup(context);
    this.replier = new KafkaReplier(context.bus, context.settings);
  }

  /** Sends `message`; false (and an error log) when Kafka did not acknowledge it. */
  protected async sendToKafka(message: Readonly<Record<string, unknown>>): Promise<boolean> {
    try {
      await this.replier.send(message);
      this.logger.debug('Sent message to Kafka');
      return true;
    } catch (err) {
      this.logger.error('Failed to send message to Kafka', { error: errorMessage(err) });
      return false;
    }
  }

  /** Sends `message` or throws DeliveryError, so the monitor keeps the job and tries it again later. */
  protected async deliver(message: Readonly<Record<string, unknown>>): Promise<void> {
    await this.replier.send(message);
  }
}
