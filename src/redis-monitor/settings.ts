import {
  type ComponentSpec,
  field,
  KAFKA_PRODUCER_DEFAULTS,
  kafkaProducerFields,
  logDefaults,
  logFields,
  logSettingNames,
  metricsDefaults,
  metricsFields,
  REDIS_DEFAULTS,
  redisFields,
  type SettingsOf,
  STATS_DEFAULTS,
  statsFields,
  ZOOKEEPER_DEFAULTS,
  zookeeperFields,
} from '../core/settings/index.js';

export const redisMonitorFields = {
  SLEEP_TIME: field.float(),
  HEARTBEAT_TIMEOUT: field.int({ min: 1 }),
  RETRY_FAILURES: field.bool(),
  RETRY_FAILURES_MAX: field.int({ min: 0 }),

  ...redisFields,
  REDIS_LOCK_EXPIRATION: field.int({ min: 1 }),

  ...kafkaProducerFields,
  KAFKA_TOPIC_PREFIX: field.string(),
  KAFKA_CONN_TIMEOUT: field.float({ positive: true }),
  KAFKA_APPID_TOPICS: field.bool(),

  ...zookeeperFields,

  PLUGIN_DIR: field.string(),
  PLUGINS: field.rankMap(),

  ...logFields,

  ...statsFields,
  STATS_DUMP_CRAWL: field.bool(),
  STATS_DUMP_QUEUE: field.bool(),

  ...metricsFields,
};

export type RedisMonitorSettings = SettingsOf<typeof redisMonitorFields>;

export const REDIS_MONITOR_DEFAULTS: RedisMonitorSettings = {
  SLEEP_TIME: 0.1,
  HEARTBEAT_TIMEOUT: 120,
  RETRY_FAILURES: true,
  RETRY_FAILURES_MAX: 3,

  ...REDIS_DEFAULTS,
  REDIS_LOCK_EXPIRATION: 6,

  ...KAFKA_PRODUCER_DEFAULTS,
  KAFKA_TOPIC_PREFIX: 'demo',
  KAFKA_CONN_TIMEOUT: 5,
  KAFKA_APPID_TOPICS: false,

  ...ZOOKEEPER_DEFAULTS,

  PLUGIN_DIR: 'plugins/',
  PLUGINS: {
    InfoMonitor: 100,
    StopMonitor: 200,
    ExpireMonitor: 300,
    StatsMonitor: 400,
    ZookeeperMonitor: 500,
  },

  ...logDefaults('redis-monitor', 'redis_monitor.log'),

  ...STATS_DEFAULTS,
  STATS_DUMP_CRAWL: true,
  STATS_DUMP_QUEUE: true,

  ...metricsDefaults(9412),
};

/** The redis-monitor settings table: its settings, their defaults, accepted other names and log setting names. */
export const redisMonitorSettingsSpec: ComponentSpec<RedisMonitorSettings> = {
  fields: redisMonitorFields,
  defaults: REDIS_MONITOR_DEFAULTS,
  aliases: {},
  log: logSettingNames(''),
};
