import { RedisStore } from '../../src/core/store/index.js';
import { redisMonitorContract } from '../contract/redis-monitor.contract.js';
import { servicesEnv } from '../support/services.js';

redisMonitorContract('redis', async () => {
  const env = servicesEnv();
  return RedisStore.connect({ host: env.REDIS_HOST, port: env.REDIS_PORT });
});
