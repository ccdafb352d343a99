import { MemoryBus } from '../../src/core/bus/index.js';
import { busContract } from '../contract/bus.contract.js';

busContract('memory', async () => new MemoryBus(), 10);
