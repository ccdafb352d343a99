export {
  COMPONENT_SPECS,
  COMPONENTS,
  isComponent,
  type Component,
  type ComponentSettingsMap,
  type ComponentSpec,
  type LogSettingNames,
} from './component.js';
export {
  defaultSettings,
  explainSettings,
  loadSettings,
  resolveSettings,
  type EnvSource,
  type LoadSettingsOptions,
  type ResolveSettingsOptions,
  type Settings,
  type SettingsFlags,
  type SettingSource,
} from './loader.js';
export { readSettingsFile } from './file.js';
export { isPlainObject, mergeSettings, type SettingsRecord } from './merge.js';
export { kafkaBrokers, splitHosts } from './hosts.js';
export { logOptionsFromSettings } from './log-options.js';
export {
  field,
  type FieldKind,
  type FieldMap,
  type LogLevelSetting,
  type SettingField,
  type SettingsOf,
} from './fields.js';
export { CRAWLER_DEFAULTS, crawlerFields, type CrawlerSettings } from './defaults/crawler.js';
export {
  KAFKA_MONITOR_DEFAULTS,
  kafkaMonitorFields,
  type KafkaMonitorSettings,
} from './defaults/kafka-monitor.js';
export {
  REDIS_MONITOR_DEFAULTS,
  redisMonitorFields,
  type RedisMonitorSettings,
} from './defaults/redis-monitor.js';
export { REST_DEFAULTS, restFields, type RestSettings } from './defaults/rest.js';
