import { MemoryStore } from '../../src/core/store/index.js';
import { MemoryEngine } from '../../src/core/store/memory/engine.js';
import { redisMonitorContract } from '../contract/redis-monitor.contract.js';

const engine = new MemoryEngine();
redisMonitorContract('memory', async () => new MemoryStore(engine));
