import { RedisStore } from '../../src/core/store/index.js';
import { frontierContract } from '../contract/frontier.contract.js';
import { servicesEnv } from '../support/services.js';

frontierContract('redis', async () => {
  const env = servicesEnv();
  return RedisStore.connect({ host: env.REDIS_HOST, port: env.REDIS_PORT });
});
