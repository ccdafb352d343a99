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
  MiB,
  REDIS_DEFAULTS,
  redisFields,
  type SettingsOf,
} from '../core/settings/index.js';

export const restFields = {
  FLASK_LOGGING_ENABLED: field.bool(),
  FLASK_PORT: field.int({ min: 0, max: 65535 }),
  SLEEP_TIME: field.float({ positive: true }),
  HEARTBEAT_TIMEOUT: field.int({ min: 1 }),
  DAEMON_THREAD_JOIN_TIMEOUT: field.float(),
  WAIT_FOR_RESPONSE_TIME: field.float(),
  SCHEMA_DIR: field.string(),

  // Added by this project (no equivalent in the original).
  REST_BIND: field.string(),
  REST_API_KEYS: field.stringList(),
  REST_BODY_LIMIT: field.int({ min: 1 }),
  REST_CORS_ORIGINS: field.stringList(),
  REST_POLL_TTL: field.int({ min: 0 }),
  REST_UI_ENABLED: field.bool(),
  REST_UI_USER: field.nullableString(),
  REST_UI_PASSWORD: field.nullableString(),
  REST_HEADERS_TIMEOUT: field.float({ positive: true }),
  REST_REQUEST_TIMEOUT: field.float({ positive: true }),

  ...redisFields,

  ...kafkaProducerFields,
  KAFKA_TOPIC_PREFIX: field.string(),
  ...kafkaConsumerFields,
  KAFKA_CONSUMER_SLEEP_TIME: field.float(),
  KAFKA_PRODUCER_TOPIC: field.string(),

  ...logFields,
};

export type RestSettings = SettingsOf<typeof restFields>;

export const REST_DEFAULTS: RestSettings = {
  FLASK_LOGGING_ENABLED: true,
  FLASK_PORT: 5343,
  SLEEP_TIME: 5,
  HEARTBEAT_TIMEOUT: 120,
  DAEMON_THREAD_JOIN_TIMEOUT: 10,
  WAIT_FOR_RESPONSE_TIME: 5,
  SCHEMA_DIR: 'schemas/',

  REST_BIND: '0.0.0.0',
  REST_API_KEYS: [],
  REST_BODY_LIMIT: 1 * MiB,
  REST_CORS_ORIGINS: [],
  REST_POLL_TTL: 86400,
  REST_UI_ENABLED: true,
  REST_UI_USER: null,
  REST_UI_PASSWORD: null,
  REST_HEADERS_TIMEOUT: 10,
  REST_REQUEST_TIMEOUT: 30,

  ...REDIS_DEFAULTS,

  ...KAFKA_PRODUCER_DEFAULTS,
  KAFKA_TOPIC_PREFIX: 'demo',
  ...KAFKA_CONSUMER_DEFAULTS,
  // The REST service answers from replies that arrive after it started; older ones are not its own.
  KAFKA_CONSUMER_AUTO_OFFSET_RESET: 'latest',
  KAFKA_CONSUMER_SLEEP_TIME: 1,
  KAFKA_PRODUCER_TOPIC: 'demo.incoming',

  ...logDefaults('rest-service', 'rest_service.log'),
};

/** The rest settings table: its settings, their defaults, accepted other names and log setting names. */
export const restSettingsSpec: ComponentSpec<RestSettings> = {
  fields: restFields,
  defaults: REST_DEFAULTS,
  aliases: { REST_PORT: 'FLASK_PORT' },
  log: logSettingNames(''),
};
