import { field, type SettingsOf } from '../fields.js';
import { logDefaults, logFields, MiB, REDIS_DEFAULTS, redisFields } from './common.js';

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

  KAFKA_HOSTS: field.hosts(),
  KAFKA_TOPIC_PREFIX: field.string(),
  KAFKA_FEED_TIMEOUT: field.float({ positive: true }),
  KAFKA_CONSUMER_AUTO_OFFSET_RESET: field.oneOf(['earliest', 'latest']),
  KAFKA_CONSUMER_TIMEOUT: field.int({ min: 1 }),
  KAFKA_CONSUMER_COMMIT_INTERVAL_MS: field.int({ min: 1 }),
  KAFKA_CONSUMER_AUTO_COMMIT_ENABLE: field.bool(),
  KAFKA_CONSUMER_FETCH_MESSAGE_MAX_BYTES: field.int({ min: 1 }),
  KAFKA_CONSUMER_SLEEP_TIME: field.float(),
  KAFKA_PRODUCER_TOPIC: field.string(),
  KAFKA_PRODUCER_BATCH_LINGER_MS: field.int({ min: 0 }),
  KAFKA_PRODUCER_BUFFER_BYTES: field.int({ min: 1 }),

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

  KAFKA_HOSTS: 'localhost:9092',
  KAFKA_TOPIC_PREFIX: 'demo',
  KAFKA_FEED_TIMEOUT: 10,
  KAFKA_CONSUMER_AUTO_OFFSET_RESET: 'latest',
  KAFKA_CONSUMER_TIMEOUT: 50,
  KAFKA_CONSUMER_COMMIT_INTERVAL_MS: 5000,
  KAFKA_CONSUMER_AUTO_COMMIT_ENABLE: true,
  KAFKA_CONSUMER_FETCH_MESSAGE_MAX_BYTES: 10 * MiB,
  KAFKA_CONSUMER_SLEEP_TIME: 1,
  KAFKA_PRODUCER_TOPIC: 'demo.incoming',
  KAFKA_PRODUCER_BATCH_LINGER_MS: 25,
  KAFKA_PRODUCER_BUFFER_BYTES: 4 * MiB,

  ...logDefaults('rest-service', 'rest_service.log'),
};
