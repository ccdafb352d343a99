import { MemoryStore } from '../../src/core/store/index.js';
import { statsContract } from '../contract/stats.contract.js';

statsContract('memory', async () => new MemoryStore());
