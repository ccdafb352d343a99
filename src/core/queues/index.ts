export { RedisQueue, RedisStack, RedisPriorityQueue, type AnyQueue, type QueueKind } from './redis-queue.js';
export { jsonEncoding, type Encoding } from '../wire/queue-encoding.js';
export { priorityPush } from './scripts.js';
