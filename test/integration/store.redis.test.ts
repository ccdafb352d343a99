import { RedisStore } from '../../src/core/store/index.js';
import { storeContract } from '../contract/store.contract.js';
import { servicesEnv } from '../support/services.js';

storeContract('redis', async () => {
  const env = servicesEnv();
  return RedisStore.connect({ host: env.REDIS_HOST, port: env.REDIS_PORT });
});
