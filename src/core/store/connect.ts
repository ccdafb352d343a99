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

/** Connects to the Redis named by the settings; throws ConnectionError with a readable message. */
export async function connectStore(settings: StoreSettings, name?: string): Promise<Store> {
  return RedisStore.connect({
    host: settings.REDIS_HOST,
    port: Number(settings.REDIS_PORT),
    db: settings.REDIS_DB ?? 0,
    password: settings.REDIS_PASSWORD ?? null,
    socketTimeout: settings.REDIS_SOCKET_TIMEOUT ?? 10,
    ...(name ? { name } : {}),
  });
}
