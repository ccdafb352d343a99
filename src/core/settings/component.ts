import { CRAWLER_DEFAULTS, crawlerFields, type CrawlerSettings } from './defaults/crawler.js';
import {
  KAFKA_MONITOR_DEFAULTS,
  kafkaMonitorFields,
  type KafkaMonitorSettings,
} from './defaults/kafka-monitor.js';
import {
  REDIS_MONITOR_DEFAULTS,
  redisMonitorFields,
  type RedisMonitorSettings,
} from './defaults/redis-monitor.js';
import { REST_DEFAULTS, restFields, type RestSettings } from './defaults/rest.js';
import type { FieldMap } from './fields.js';

export type Component = 'kafka-monitor' | 'crawler' | 'redis-monitor' | 'rest';

export const COMPONENTS: readonly Component[] = ['kafka-monitor', 'crawler', 'redis-monitor', 'rest'];

export interface ComponentSettingsMap {
  'kafka-monitor': KafkaMonitorSettings;
  crawler: CrawlerSettings;
  'redis-monitor': RedisMonitorSettings;
  rest: RestSettings;
}

/** The logging settings' names: the crawler prefixes them with SC_ so they do not clash with Scrapy's. */
export interface LogSettingNames {
  readonly name: string;
  readonly dir: string;
  readonly file: string;
  readonly maxBytes: string;
  readonly backups: string;
  readonly stdout: string;
  readonly json: string;
  readonly level: string;
}

export interface ComponentSpec<S> {
  readonly fields: FieldMap;
  readonly defaults: S;
  /** Other accepted name → canonical setting name (misspellings the original used, friendlier names). */
  readonly aliases: Readonly<Record<string, string>>;
  readonly log: LogSettingNames;
}

function logNames(prefix: '' | 'SC_'): LogSettingNames {
  return {
    name: `${prefix}LOGGER_NAME`,
    dir: `${prefix}LOG_DIR`,
    file: `${prefix}LOG_FILE`,
    maxBytes: `${prefix}LOG_MAX_BYTES`,
    backups: `${prefix}LOG_BACKUPS`,
    stdout: `${prefix}LOG_STDOUT`,
    json: `${prefix}LOG_JSON`,
    level: `${prefix}LOG_LEVEL`,
  };
}

export const COMPONENT_SPECS: { readonly [C in Component]: ComponentSpec<ComponentSettingsMap[C]> } = {
  'kafka-monitor': {
    fields: kafkaMonitorFields,
    defaults: KAFKA_MONITOR_DEFAULTS,
    aliases: {},
    log: logNames(''),
  },
  crawler: {
    fields: crawlerFields,
    defaults: CRAWLER_DEFAULTS,
    aliases: {
      SCHEDULER_ITEM_RETRIES: 'SCHEUDLER_ITEM_RETRIES',
      SCHEDULER_QUEUE_TIEOUT: 'SCHEDULER_QUEUE_TIMEOUT',
    },
    log: logNames('SC_'),
  },
  'redis-monitor': {
    fields: redisMonitorFields,
    defaults: REDIS_MONITOR_DEFAULTS,
    aliases: {},
    log: logNames(''),
  },
  rest: {
    fields: restFields,
    defaults: REST_DEFAULTS,
    aliases: { REST_PORT: 'FLASK_PORT' },
    log: logNames(''),
  },
};

export function isComponent(value: string): value is Component {
  return (COMPONENTS as readonly string[]).includes(value);
}
