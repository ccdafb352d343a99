import { MemoryEngine, MemoryStore } from '../../src/core/store/index.js';
import { crawlObserveContract } from '../contract/crawl-observe.contract.js';

const engine = new MemoryEngine();
crawlObserveContract('memory', async () => new MemoryStore(engine));
