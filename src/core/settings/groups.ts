import { DOMAIN_KEY_STYLES } from '../domain.js';
import { field, type SettingsOf } from './fields.js';

/** Settings groups shared by several components; each component spreads the groups it has. */

export const MiB = 1024 * 1024;

export const redisFields = {
  REDIS_HOST: field.string(),
  REDIS_PORT: field.int({ min: 1, max: 65535 }),
  REDIS_DB: field.int({ min: 0 }),
  REDIS_PASSWORD: field.nullableString(),
  REDIS_SOCKET_TIMEOUT: field.float({ positive: true }),
  /** How `<spiderid>:<domain>:queue` and throttle keys name a site: see DomainKeyStyle in core/domain.ts. */
  DOMAIN_KEYS: field.oneOf(DOMAIN_KEY_STYLES),
};

export const REDIS_DEFAULTS: SettingsOf<typeof redisFields> = {
  REDIS_HOST: 'localhost',
  REDIS_PORT: 6379,
  REDIS_DB: 0,
  REDIS_PASSWORD: null,
  REDIS_SOCKET_TIMEOUT: 10,
  DOMAIN_KEYS: 'normalized',
};

export const logFields = {
  LOGGER_NAME: field.string(),
  LOG_DIR: field.string(),
  LOG_FILE: field.string(),
  LOG_MAX_BYTES: field.int({ min: 0 }),
  LOG_BACKUPS: field.int({ min: 0 }),
  LOG_STDOUT: field.bool(),
  LOG_JSON: field.bool(),
  LOG_LEVEL: field.logLevel(),
};

/** A settings group under prefixed names: the crawler's logging settings are `SC_LOG_*`, not Scrapy's. */
export type Prefixed<P extends string, T> = { [K in keyof T & string as `${P}${K}`]: T[K] };

export function prefixed<P extends string, T extends object>(prefix: P, group: T): Prefixed<P, T> {
  return Object.fromEntries(Object.entries(group).map(([key, value]) => [prefix + key, value])) as Prefixed<
    P,
    T
  >;
}

export function logDefaults(name: string, file: string): SettingsOf<typeof logFields> {
  return {
    LOGGER_NAME: name,
    LOG_DIR: 'logs',
    LOG_FILE: file,
    LOG_MAX_BYTES: 10 * MiB,
    LOG_BACKUPS: 5,
    LOG_STDOUT: true,
    LOG_JSON: false,
    LOG_LEVEL: 'INFO',
  };
}

/** Rolling stats windows, named after the original StatsCollector constants. Unknown names are skipped. */
export const DEFAULT_STATS_TIMES = [
  'SECONDS_15_MINUTE',
  'SECONDS_1_HOUR',
  'SECONDS_6_HOUR',
  'SECONDS_12_HOUR',
  'SECONDS_1_DAY',
  'SECONDS_1_WEEK',
];

export const zookeeperFields = {
  ZOOKEEPER_ASSIGN_PATH: field.string(),
  ZOOKEEPER_ID: field.string(),
  ZOOKEEPER_HOSTS: field.hosts(),
};

export const ZOOKEEPER_DEFAULTS: SettingsOf<typeof zookeeperFields> = {
  ZOOKEEPER_ASSIGN_PATH: '/scrapy-cluster/crawler/',
  ZOOKEEPER_ID: 'all',
  ZOOKEEPER_HOSTS: 'localhost:2181',
};

/** Every component produces to Kafka (pages, replies, API requests) through the same producer settings. */
export const kafkaProducerFields = {
  KAFKA_HOSTS: field.hosts(),
  KAFKA_PRODUCER_BATCH_LINGER_MS: field.int({ min: 0 }),
  KAFKA_PRODUCER_BUFFER_BYTES: field.int({ min: 1 }),
};

export const KAFKA_PRODUCER_DEFAULTS: SettingsOf<typeof kafkaProducerFields> = {
  KAFKA_HOSTS: 'localhost:9092',
  KAFKA_PRODUCER_BATCH_LINGER_MS: 25,
  KAFKA_PRODUCER_BUFFER_BYTES: 4 * MiB,
};

/** The consumer settings of the two components that read a topic (the Kafka Monitor and the REST service). */
export const kafkaConsumerFields = {
  KAFKA_FEED_TIMEOUT: field.float({ positive: true }),
  KAFKA_CONSUMER_AUTO_OFFSET_RESET: field.oneOf(['earliest', 'latest']),
  KAFKA_CONSUMER_TIMEOUT: field.int({ min: 1 }),
  KAFKA_CONSUMER_COMMIT_INTERVAL_MS: field.int({ min: 1 }),
  KAFKA_CONSUMER_AUTO_COMMIT_ENABLE: field.bool(),
  KAFKA_CONSUMER_FETCH_MESSAGE_MAX_BYTES: field.int({ min: 1 }),
};

export const KAFKA_CONSUMER_DEFAULTS: SettingsOf<typeof kafkaConsumerFields> = {
  KAFKA_FEED_TIMEOUT: 10,
  KAFKA_CONSUMER_AUTO_OFFSET_RESET: 'earliest',
  KAFKA_CONSUMER_TIMEOUT: 50,
  KAFKA_CONSUMER_COMMIT_INTERVAL_MS: 5000,
  KAFKA_CONSUMER_AUTO_COMMIT_ENABLE: true,
  KAFKA_CONSUMER_FETCH_MESSAGE_MAX_BYTES: 10 * MiB,
};

/** The rolling stats of the two monitors (the original's StatsCollector settings). */
export const statsFields = {
  STATS_TOTAL: field.bool(),
  STATS_PLUGINS: field.bool(),
  STATS_CYCLE: field.int({ min: 1 }),
  STATS_DUMP: field.int({ min: 0 }),
  STATS_TIMES: field.stringList(),
};

export const STATS_DEFAULTS: SettingsOf<typeof statsFields> = {
  STATS_TOTAL: true,
  STATS_PLUGINS: true,
  STATS_CYCLE: 5,
  STATS_DUMP: 60,
  STATS_TIMES: [...DEFAULT_STATS_TIMES],
};

/** Added by this project: each process's /metrics, /healthz and /readyz listener (0 turns it off). */
export const metricsFields = {
  METRICS_PORT: field.int({ min: 0, max: 65535 }),
  METRICS_HOST: field.string(),
};

export function metricsDefaults(port: number): SettingsOf<typeof metricsFields> {
  return { METRICS_PORT: port, METRICS_HOST: '127.0.0.1' };
}
