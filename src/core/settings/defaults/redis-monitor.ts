import { field, type SettingsOf } from '../fields.js';
import {
  DEFAULT_STATS_TIMES,
  logDefaults,
  logFields,
  MiB,
  REDIS_DEFAULTS,
  redisFields,
  ZOOKEEPER_DEFAULTS,
  zookeeperFields,
} from './common.js';

export const redisMonitorFields = {
  SLEEP_TIME: field.float(),
  HEARTBEAT_TIMEOUT: field.int({ min: 1 }),
  RETRY_FAILURES: field.bool(),
  RETRY_FAILURES_MAX: field.int({ min: 0 }),

  ...redisFields,
  REDIS_LOCK_EXPIRATION: field.int({ min: 1 }),

  KAFKA_HOSTS: field.hosts(),
  KAFKA_TOPIC_PREFIX: field.string(),
  KAFKA_CONN_TIMEOUT: field.float({ positive: true }),
  KAFKA_APPID_TOPICS: field.bool(),
  KAFKA_PRODUCER_BATCH_LINGER_MS: field.int({ min: 0 }),
  KAFKA_PRODUCER_BUFFER_BYTES: field.int({ min: 1 }),

  ...zookeeperFields,

  PLUGIN_DIR: field.string(),
  PLUGINS: field.rankMap(),

  ...logFields,

  STATS_TOTAL: field.bool(),
  STATS_PLUGINS: field.bool(),
  STATS_CYCLE: field.int({ min: 1 }),
  STATS_DUMP: field.int({ min: 0 }),
  STATS_DUMP_CRAWL: field.bool(),
  STATS_DUMP_QUEUE: field.bool(),
  STATS_TIMES: field.stringList(),

  // Added by this project: the /metrics, /healthz and /readyz listener.
  METRICS_PORT: field.int({ min: 0, max: 65535 }),
  METRICS_HOST: field.string(),
};

export type RedisMonitorSettings = SettingsOf<typeof redisMonitorFields>;

export const REDIS_MONITOR_DEFAULTS: RedisMonitorSettings = {
  SLEEP_TIME: 0.1,
  HEARTBEAT_TIMEOUT: 120,
  RETRY_FAILURES: true,
  RETRY_FAILURES_MAX: 3,

  ...REDIS_DEFAULTS,
  REDIS_LOCK_EXPIRATION: 6,

  KAFKA_HOSTS: 'localhost:9092',
  KAFKA_TOPIC_PREFIX: 'demo',
  KAFKA_CONN_TIMEOUT: 5,
  KAFKA_APPID_TOPICS: false,
  KAFKA_PRODUCER_BATCH_LINGER_MS: 25,
  KAFKA_PRODUCER_BUFFER_BYTES: 4 * MiB,

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

  STATS_TOTAL: true,
  STATS_PLUGINS: true,
  STATS_CYCLE: 5,
  STATS_DUMP: 60,
  STATS_DUMP_CRAWL: true,
  STATS_DUMP_QUEUE: true,
  STATS_TIMES: [...DEFAULT_STATS_TIMES],

  METRICS_PORT: 9412,
  METRICS_HOST: '127.0.0.1',
};
