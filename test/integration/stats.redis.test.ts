import { RedisStore } from '../../src/core/store/index.js';
import { statsContract } from '../contract/stats.contract.js';
import { servicesEnv } from '../support/services.js';

statsContract('redis', async () => {
  const env = servicesEnv();
  return RedisStore.connect({ host: env.REDIS_HOST, port: env.REDIS_PORT });
});
