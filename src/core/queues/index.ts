export { RedisQueue, RedisStack, RedisPriorityQueue, type AnyQueue, type QueueKind } from './redis-queue.js';
export { jsonEncoding, type Encoding } from './encoding.js';
export { priorityPush } from './scripts.js';
