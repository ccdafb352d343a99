/**
 * The wire: everything the components agree on with each other and with the Python original. Redis key
 * and channel names, Kafka topic names, the JSON API's schemas and their validator, the queue-member
 * codecs (feed objects and serialized requests) and the queue encoding. Change it only together with
 * docs/compatibility.md.
 */
export { crawlFields, crawlRecord } from './crawl-fields.js';
export { domainOfQueue, redisKeys, throttleName } from './keys.js';
export { assertEncoding, jsonEncoding, type Encoding } from './queue-encoding.js';
export { decodeMember, encodeRequest, type QueuedRequest } from './request-codec.js';
export {
  API_SCHEMA_FILES,
  apiSchema,
  DEFAULT_API_PLUGIN_RANKS,
  loadBuiltInSchema,
  rankedApiSchemas,
  type ApiSchemaName,
} from './schemas.js';
export { topicNames } from './topics.js';
export { SchemaValidator, type JsonObject } from './validator.js';
