import { RedisStore } from '../../src/core/store/index.js';
import { crawlObserveContract } from '../contract/crawl-observe.contract.js';
import { servicesEnv } from '../support/services.js';

crawlObserveContract('redis', async () => {
  const env = servicesEnv();
  return RedisStore.connect({ host: env.REDIS_HOST, port: env.REDIS_PORT });
});
