import { MemoryStore } from '../../src/core/store/index.js';
import { storeContract } from '../contract/store.contract.js';

storeContract('memory', async () => new MemoryStore());
