import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logging/index.js';
import type { Store } from '../core/store/index.js';
import { backoffDelay, DEFAULT_BACKOFF, pause, withTimeout, type BackoffOptions } from './backoff.js';

export interface RedisLinkOptions {
  /** Opens a connection; rejects when Redis cannot be reached (RedisStore.connect fails fast). */
  connect: () => Promise<Store>;
  logger: Logger;
  /** Called once, with the store, when the first connection succeeded. */
  onConnected?: (store: Store) => void;
  backoff?: BackoffOptions;
  /** How often the connection state is looked at to log losses and recoveries (ms). */
  watchIntervalMs?: number;
  /** How long close() waits for a connection attempt in progress (ms). */
  closeTimeoutMs?: number;
}

/** A store that can tell whether its connection is up (RedisStore); others are always up. */
function storeReady(store: Store): boolean {
  const ready = (store as Partial<{ isReady: boolean }>).isReady;
  return typeof ready === 'boolean' ? ready : true;
}

/**
 * The REST service's Redis connection. The first connection is retried in the background with backoff,
 * so the service starts (and reports RED/YELLOW) while Redis is down. Once connected, the client itself
 * reconnects after a drop and fails commands fast meanwhile; `connected` follows its state.
 */
export class RedisLink {
  private current: Store | undefined;
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  private watcher: NodeJS.Timeout | undefined;
  private wasConnected = false;

  constructor(private readonly options: RedisLinkOptions) {}

  /** The store once a first connection succeeded (possibly disconnected right now). */
  get store(): Store | undefined {
    return this.current;
  }

  get connected(): boolean {
    return this.current !== undefined && storeReady(this.current);
  }

  start(): void {
    this.running ??= this.run();
  }

  /** Resolves when the first connection succeeded (or the link closed). */
  async firstConnection(): Promise<void> {
    await this.running;
  }

  async close(): Promise<void> {
    this.abort.abort();
    clearInterval(this.watcher);
    // An attempt still in progress closes what it opens by itself when it ends.
    await withTimeout(
      this.running ?? Promise.resolve(),
      this.options.closeTimeoutMs ?? 10_000,
      'close',
    ).catch(() => undefined);
    await this.current?.close().catch(() => undefined);
  }

  private async run(): Promise<void> {
    const { logger } = this.options;
    for (let attempt = 0; !this.abort.signal.aborted; attempt++) {
      try {
        const store = await this.options.connect();
        if (this.abort.signal.aborted) {
          await store.close().catch(() => undefined);
          return;
        }
        this.current = store;
        this.wasConnected = true;
        logger.info('Successfully connected to redis');
        this.options.onConnected?.(store);
        this.watch();
        return;
      } catch (err) {
        if (this.abort.signal.aborted) return;
        const delay = backoffDelay(attempt, this.options.backoff ?? DEFAULT_BACKOFF);
        logger.warning('Unable to connect to redis', { error: errorMessage(err), retry_in_ms: delay });
        await pause(delay, this.abort.signal);
      }
    }
  }

  /** Logs each loss and recovery of the connection once. */
  private watch(): void {
    this.watcher = setInterval(() => {
      const now = this.connected;
      if (now === this.wasConnected) return;
      this.wasConnected = now;
      if (now) this.options.logger.info('Successfully connected to redis');
      else this.options.logger.error('Lost connection to Redis');
    }, this.options.watchIntervalMs ?? 1000);
    this.watcher.unref();
  }
}
