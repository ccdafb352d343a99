export type {
  Arg,
  Pipeline,
  Reply,
  ScriptDef,
  SetOptions,
  Store,
  ZMember,
  RedisCall,
  MemoryScript,
} from './types.js';
export { MemoryEngine } from './memory/engine.js';
export { MemoryStore } from './memory-store.js';
export { RedisStore, type RedisStoreOptions } from './redis-store.js';
export { defineScript } from './script.js';
export { connectStore, type StoreSettings } from './connect.js';
export { isStoreUnavailable } from './unavailable.js';
export { readDurability, warnIfNotDurable, type Durability } from './durability.js';
