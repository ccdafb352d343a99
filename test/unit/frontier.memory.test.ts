import { MemoryEngine, MemoryStore } from '../../src/core/store/index.js';
import { frontierContract } from '../contract/frontier.contract.js';

const engine = new MemoryEngine();
frontierContract('memory', async () => new MemoryStore(engine));
