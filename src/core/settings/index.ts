/**
 * How settings are declared and loaded. The tables themselves live beside the components that read
 * them (`src/<component>/settings.ts`); `src/settings.ts` names the four by component. Shared groups
 * (Redis, Kafka producer and consumer, logging, ZooKeeper, stats, metrics) are in ./groups.ts.
 */
export {
  COMPONENTS,
  isComponent,
  logSettingNames,
  type Component,
  type ComponentSpec,
  type LogSettingNames,
} from './component.js';
export {
  explainSpecSettings,
  loadSpecSettings,
  resolveSpecSettings,
  type EnvSource,
  type LoadSettingsOptions,
  type ResolveSettingsOptions,
  type SettingsFlags,
  type SettingsOfSpec,
  type SettingSource,
} from './loader.js';
export { readSettingsFile } from './file.js';
export { isPlainObject, mergeSettings, type SettingsRecord } from './merge.js';
export { kafkaBrokers, splitHosts } from './hosts.js';
export { logOptionsOf } from './log-options.js';
export {
  field,
  type FieldKind,
  type FieldMap,
  type LogLevelSetting,
  type SettingField,
  type SettingsOf,
} from './fields.js';
export {
  DEFAULT_STATS_TIMES,
  KAFKA_CONSUMER_DEFAULTS,
  KAFKA_PRODUCER_DEFAULTS,
  kafkaConsumerFields,
  kafkaProducerFields,
  logDefaults,
  logFields,
  metricsDefaults,
  metricsFields,
  MiB,
  prefixed,
  REDIS_DEFAULTS,
  redisFields,
  STATS_DEFAULTS,
  statsFields,
  ZOOKEEPER_DEFAULTS,
  zookeeperFields,
  type Prefixed,
} from './groups.js';
