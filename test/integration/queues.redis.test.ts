import { RedisStore } from '../../src/core/store/index.js';
import { queuesContract } from '../contract/queues.contract.js';
import { servicesEnv } from '../support/services.js';

queuesContract('redis', async () => {
  const env = servicesEnv();
  return RedisStore.connect({ host: env.REDIS_HOST, port: env.REDIS_PORT });
});
