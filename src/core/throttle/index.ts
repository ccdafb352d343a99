export {
  RedisThrottledQueue,
  type ThrottleOptions,
  type PopOutcome,
  type PopStatus,
} from './throttled-queue.js';
export { throttlePop } from './scripts.js';
