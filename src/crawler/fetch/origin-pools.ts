import { Dispatcher, Pool } from 'undici';

/**
 * The reason given when an idle pool is retired. Without one, undici makes a ClientDestroyedError per
 * pool and per client, and Node formats each one's stack when it destroys the socket: at 10,000 domains
 * that was ~2.5% of the crawler's busy CPU (profile of the bench's scale crawl). One shared error costs
 * nothing per pool; nothing is waiting on an idle pool, so no request ever sees it.
 */
const RETIRED = new Error('idle connection pool retired');

/** Closes a pool: at once when nothing is queued or running on it, else after what is running finishes. */
function retire(pool: Pool): void {
  const { pending, running } = pool.stats;
  const done = pending === 0 && running === 0 ? pool.destroy(RETIRED) : pool.close();
  void done.catch(() => undefined);
}

/**
 * The fetcher's connection pools, one per origin as undici's Agent keeps them, but at most `maxOrigins`
 * at once: the least recently used origin's pool is closed (gracefully: requests already on it finish)
 * when a new origin would pass the bound, and a pool whose connections have all closed is dropped, as the
 * Agent does.
 *
 * Why not the Agent: it keeps every origin with an open keep-alive connection, and each pool costs ~35 KB
 * (undici preallocates a 2,048-slot request queue per pool, plus the clients, socket and parser). A crawl
 * over thousands of sites touches more origins within one keep-alive window than it will fetch from again:
 * 10,000 domains held ~9,000 pools and ~480 MB of heap at the end of the bench's crawl.
 */
export class OriginPools extends Dispatcher {
  /** Open pools by origin, least recently used first (a Map keeps insertion order; use re-inserts). */
  private readonly pools = new Map<string, Pool>();
  private closed = false;

  constructor(
    private readonly options: Pool.Options,
    private readonly maxOrigins: number,
  ) {
    super();
  }

  /** Open pools now (for stats and tests). */
  get size(): number {
    return this.pools.size;
  }

  override dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const origin = typeof opts.origin === 'string' ? new URL(opts.origin).origin : opts.origin!.origin;
    let pool = this.pools.get(origin);
    if (pool) {
      this.pools.delete(origin);
      this.pools.set(origin, pool);
    } else {
      pool = this.open(origin);
    }
    return pool.dispatch(opts, handler);
  }

  private open(origin: string): Pool {
    if (this.closed) throw new Error('OriginPools is closed');
    while (this.pools.size >= this.maxOrigins) {
      const [oldest, lru] = this.pools.entries().next().value as [string, Pool];
      this.pools.delete(oldest);
      retire(lru);
    }
    const pool = new Pool(origin, this.options);
    const dropIfUnused = () => {
      if (this.pools.get(origin) !== pool) return;
      const { connected, pending, running } = pool.stats;
      if (connected > 0 || pending > 0 || running > 0) return;
      this.pools.delete(origin);
      retire(pool);
    };
    pool.on('disconnect', dropIfUnused).on('connectionError', dropIfUnused);
    this.pools.set(origin, pool);
    return pool;
  }

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    const done = this.end((pool) => pool.close());
    if (!callback) return done;
    void done.then(callback, callback);
  }

  override destroy(): Promise<void>;
  override destroy(err: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null, callback: () => void): void;
  override destroy(errOrCallback?: Error | null | (() => void), callback?: () => void): Promise<void> | void {
    const err = typeof errOrCallback === 'function' ? null : (errOrCallback ?? null);
    const cb = typeof errOrCallback === 'function' ? errOrCallback : callback;
    const done = this.end((pool) => pool.destroy(err));
    if (!cb) return done;
    void done.then(cb, cb);
  }

  private async end(how: (pool: Pool) => Promise<void>): Promise<void> {
    this.closed = true;
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map(how));
  }
}
