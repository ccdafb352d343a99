import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from './logging/index.js';
import type { Store } from './store/index.js';
import { errorMessage } from './errors.js';

/** The original's process id: the last 12 hex digits of a random UUID. */
export function newProcessId(): string {
  return randomUUID().replace(/-/g, '').slice(-12);
}

export function machineName(): string {
  return hostname();
}

/**
 * Keeps `key` alive with the current time and a TTL, so the Redis Monitor's stats can count running
 * processes. Written every `intervalSeconds` (the originals wrote it on every loop, several times a
 * second); failures are logged once per outage and never stop the component.
 */
export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;
  private failing = false;

  constructor(
    private readonly store: Store,
    readonly key: string,
    private readonly ttlSeconds: number,
    private readonly intervalSeconds: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    void this.beat();
    this.timer = setInterval(() => void this.beat(), this.intervalSeconds * 1000);
    this.timer.unref();
  }

  async beat(): Promise<void> {
    try {
      await this.store.set(this.key, String(Date.now() / 1000), { ex: this.ttlSeconds });
      if (this.failing) this.logger.info('Heartbeat restored', { key: this.key });
      this.failing = false;
    } catch (err) {
      if (!this.failing)
        this.logger.warning('Cannot report self to redis', { key: this.key, error: errorMessage(err) });
      this.failing = true;
    }
  }

  async stop(remove = true): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    if (remove) await this.store.del(this.key).catch(() => 0);
  }
}
