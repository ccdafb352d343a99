import { field, type SettingsOf } from '../fields.js';
import { DEFAULT_STATS_TIMES, logDefaults, logFields, MiB, REDIS_DEFAULTS, redisFields } from './common.js';

export const kafkaMonitorFields = {
  SLEEP_TIME: field.float(),
  HEARTBEAT_TIMEOUT: field.int({ min: 1 }),

  ...redisFields,

  KAFKA_HOSTS: field.hosts(),
  KAFKA_INCOMING_TOPIC: field.string(),
  KAFKA_GROUP: field.string(),
  KAFKA_FEED_TIMEOUT: field.float({ positive: true }),
  KAFKA_CONSUMER_AUTO_OFFSET_RESET: field.oneOf(['earliest', 'latest']),
  KAFKA_CONSUMER_TIMEOUT: field.int({ min: 1 }),
  KAFKA_CONSUMER_COMMIT_INTERVAL_MS: field.int({ min: 1 }),
  KAFKA_CONSUMER_AUTO_COMMIT_ENABLE: field.bool(),
  KAFKA_CONSUMER_FETCH_MESSAGE_MAX_BYTES: field.int({ min: 1 }),
  KAFKA_PRODUCER_BATCH_LINGER_MS: field.int({ min: 0 }),
  KAFKA_PRODUCER_BUFFER_BYTES: field.int({ min: 1 }),

  PLUGIN_DIR: field.string(),
  PLUGINS: field.rankMap(),

  ...logFields,

  STATS_TOTAL: field.bool(),
  STATS_PLUGINS: field.bool(),
  STATS_CYCLE: field.int({ min: 1 }),
  STATS_DUMP: field.int({ min: 0 }),
  STATS_TIMES: field.stringList(),

  // Added by this project: the /metrics, /healthz and /readyz listener.
  METRICS_PORT: field.int({ min: 0, max: 65535 }),
  METRICS_HOST: field.string(),
};

export type KafkaMonitorSettings = SettingsOf<typeof kafkaMonitorFields>;

export const KAFKA_MONITOR_DEFAULTS: KafkaMonitorSettings = {
  SLEEP_TIME: 0.01,
  HEARTBEAT_TIMEOUT: 120,

  ...REDIS_DEFAULTS,

  KAFKA_HOSTS: 'localhost:9092',
  KAFKA_INCOMING_TOPIC: 'demo.incoming',
  KAFKA_GROUP: 'demo-group',
  KAFKA_FEED_TIMEOUT: 10,
  KAFKA_CONSUMER_AUTO_OFFSET_RESET: 'earliest',
  KAFKA_CONSUMER_TIMEOUT: 50,
  KAFKA_CONSUMER_COMMIT_INTERVAL_MS: 5000,
  KAFKA_CONSUMER_AUTO_COMMIT_ENABLE: true,
  KAFKA_CONSUMER_FETCH_MESSAGE_MAX_BYTES: 10 * MiB,
  KAFKA_PRODUCER_BATCH_LINGER_MS: 25,
  KAFKA_PRODUCER_BUFFER_BYTES: 4 * MiB,

  PLUGIN_DIR: 'plugins/',
  PLUGINS: { ScraperHandler: 100, ActionHandler: 200, StatsHandler: 300, ZookeeperHandler: 400 },

  ...logDefaults('kafka-monitor', 'kafka_monitor.log'),

  STATS_TOTAL: true,
  STATS_PLUGINS: true,
  STATS_CYCLE: 5,
  STATS_DUMP: 60,
  STATS_TIMES: [...DEFAULT_STATS_TIMES],

  METRICS_PORT: 9411,
  METRICS_HOST: '127.0.0.1',
};
