import { DEFAULT_API_PLUGIN_RANKS } from '../core/wire/index.js';
import {
  type ComponentSpec,
  field,
  KAFKA_CONSUMER_DEFAULTS,
  KAFKA_PRODUCER_DEFAULTS,
  kafkaConsumerFields,
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
} from '../core/settings/index.js';

export const kafkaMonitorFields = {
  SLEEP_TIME: field.float(),
  HEARTBEAT_TIMEOUT: field.int({ min: 1 }),

  ...redisFields,

  ...kafkaProducerFields,
  KAFKA_INCOMING_TOPIC: field.string(),
  KAFKA_GROUP: field.string(),
  ...kafkaConsumerFields,

  PLUGIN_DIR: field.string(),
  PLUGINS: field.rankMap(),

  ...logFields,

  ...statsFields,

  ...metricsFields,
};

export type KafkaMonitorSettings = SettingsOf<typeof kafkaMonitorFields>;

export const KAFKA_MONITOR_DEFAULTS: KafkaMonitorSettings = {
  SLEEP_TIME: 0.01,
  HEARTBEAT_TIMEOUT: 120,

  ...REDIS_DEFAULTS,

  ...KAFKA_PRODUCER_DEFAULTS,
  KAFKA_INCOMING_TOPIC: 'demo.incoming',
  KAFKA_GROUP: 'demo-group',
  ...KAFKA_CONSUMER_DEFAULTS,

  PLUGIN_DIR: 'plugins/',
  PLUGINS: { ...DEFAULT_API_PLUGIN_RANKS },

  ...logDefaults('kafka-monitor', 'kafka_monitor.log'),

  ...STATS_DEFAULTS,

  ...metricsDefaults(9411),
};

/** The kafka-monitor settings table: its settings, their defaults, accepted other names and log setting names. */
export const kafkaMonitorSettingsSpec: ComponentSpec<KafkaMonitorSettings> = {
  fields: kafkaMonitorFields,
  defaults: KAFKA_MONITOR_DEFAULTS,
  aliases: {},
  log: logSettingNames(''),
};
