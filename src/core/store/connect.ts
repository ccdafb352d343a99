import type { Logger } from '../logging/index.js';
import { warnIfNotDurable } from './durability.js';
import { RedisStore } from './redis-store.js';
import type { Store } from './types.js';

/** The Redis settings every component shares, under the original's names. */
export interface StoreSettings {
  REDIS_HOST: string;
  REDIS_PORT: number;
  REDIS_DB?: number;
  REDIS_PASSWORD?: string | null;
  REDIS_SOCKET_TIMEOUT?: number;
}

/**
 * Connects to the Redis named by the settings; throws ConnectionError with a readable message. With a
 * logger, warns once when that Redis would lose writes in a crash (no AOF, no replica).
 */
export async function connectStore(settings: StoreSettings, name?: string, logger?: Logger): Promise<Store> {
  const store = await RedisStore.connect({
    host: settings.REDIS_HOST,
    port: Number(settings.REDIS_PORT),
    db: settings.REDIS_DB ?? 0,
    password: settings.REDIS_PASSWORD ?? null,
    socketTimeout: settings.REDIS_SOCKET_TIMEOUT ?? 10,
    ...(name ? { name } : {}),
  });
  if (logger) await warnIfNotDurable(store, logger, `${settings.REDIS_HOST}:${settings.REDIS_PORT}`);
  return store;
}
