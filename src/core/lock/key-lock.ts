import { randomUUID } from 'node:crypto';
import type { Store } from '../store/types.js';
import { lockAcquire, lockRelease, lockRenew } from './scripts.js';
import { redisKeys } from '../wire/keys.js';

/**
 * A non-blocking per-key lock, `lock:<key>`, renewed while held and released only by its owner.
 * Wire-compatible with python-redis-lock as the original Redis Monitor uses it.
 */
export class KeyLock {
  readonly lockKey: string;
  private readonly owner = randomUUID().replace(/-/g, '');
  private renewTimer: NodeJS.Timeout | undefined;
  private held = false;

  constructor(
    private readonly store: Store,
    readonly key: string,
    private readonly expireSeconds: number,
  ) {
    this.lockKey = redisKeys.lock(key);
  }

  get isHeld(): boolean {
    return this.held;
  }

  async acquire(): Promise<boolean> {
    const ttlMs = Math.max(1, Math.round(this.expireSeconds * 1000));
    this.held = (await this.store.run(lockAcquire, [this.lockKey], [this.owner, ttlMs])) === 1;
    if (this.held) {
      // Renew at two thirds of the expiry, as python-redis-lock does.
      this.renewTimer = setInterval(
        () => {
          this.store.run(lockRenew, [this.lockKey], [this.owner, ttlMs]).then(
            (ok) => {
              if (ok !== 1) this.stopRenewing();
            },
            () => undefined,
          );
        },
        (ttlMs * 2) / 3,
      );
      this.renewTimer.unref();
    }
    return this.held;
  }

  async release(): Promise<boolean> {
    this.stopRenewing();
    if (!this.held) return false;
    this.held = false;
    return (
      (await this.store.run(lockRelease, [this.lockKey, redisKeys.lockSignal(this.key)], [this.owner])) === 1
    );
  }

  private stopRenewing(): void {
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = undefined;
  }
}
