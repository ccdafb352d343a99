import { MemoryEngine, MemoryStore } from '../../src/core/store/index.js';
import { queuesContract } from '../contract/queues.contract.js';

const engine = new MemoryEngine();
queuesContract('memory', async () => new MemoryStore(engine));
