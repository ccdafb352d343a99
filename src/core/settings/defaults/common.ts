import { DOMAIN_KEY_STYLES } from '../../domain.js';
import { field, type SettingsOf } from '../fields.js';

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
