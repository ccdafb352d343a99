import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logging/index.js';
import {
  closeZookeeper,
  connectZookeeper,
  createNode,
  getData,
  isBadVersion,
  isConnectionLoss,
  isNodeExists,
  isNoNode,
  setData,
  withTimeout,
  type ZookeeperClient,
} from '../../core/zookeeper/index.js';

/** The node changed (or appeared) since it was read: read again and redo the change. */
export class ConfigConflict extends Error {
  constructor(path: string) {
    super(`${path} was changed by someone else`);
    this.name = 'ConfigConflict';
  }
}

/** The domain config document with its version, for compare-and-set updates. */
export interface ConfigNode {
  readonly path: string;
  /** The contents and version, or null when the node does not exist. Throws when it cannot be read. */
  read(): Promise<{ text: string; version: number } | null>;
  /** Replaces the contents if the node is still at `version`; throws ConfigConflict otherwise. */
  write(text: string, version: number): Promise<void>;
  /** Creates the node (and its parents); throws ConfigConflict when it exists already. */
  create(text: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * The config node in ZooKeeper. Connects on first use and again after a lost session, so the monitor
 * starts and keeps running while ZooKeeper is away (requests then get an error reply).
 */
export class ZookeeperConfigNode implements ConfigNode {
  private client: Promise<ZookeeperClient> | undefined;

  constructor(
    private readonly hosts: string,
    readonly path: string,
    private readonly logger: Logger,
    private readonly timeoutMs = 10_000,
  ) {}

  /** Connects now; failures are logged, not thrown (the next request tries again). */
  async open(): Promise<void> {
    try {
      await this.connection();
    } catch (err) {
      this.logger.warning('Unable to connect to Zookeeper, will retry on the next request', {
        error: errorMessage(err),
      });
    }
  }

  async read(): Promise<{ text: string; version: number } | null> {
    try {
      const { text, stat } = await this.op((c) => getData(c, this.path), `reading ${this.path}`);
      return { text, version: stat.version };
    } catch (err) {
      if (isNoNode(err)) return null;
      throw err;
    }
  }

  async write(text: string, version: number): Promise<void> {
    try {
      await this.op((c) => setData(c, this.path, text, version), `writing ${this.path}`);
    } catch (err) {
      if (isBadVersion(err) || isNoNode(err)) throw new ConfigConflict(this.path);
      throw err;
    }
  }

  async create(text: string): Promise<void> {
    try {
      await this.op((c) => createNode(c, this.path, text, { parents: true }), `creating ${this.path}`);
    } catch (err) {
      if (isNodeExists(err)) throw new ConfigConflict(this.path);
      throw err;
    }
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await client.then(closeZookeeper, () => undefined);
  }

  private connection(): Promise<ZookeeperClient> {
    if (!this.client) {
      const pending = connectZookeeper(this.hosts, this.timeoutMs).then((client) => {
        // A lost session cannot be resumed: drop the client so the next request makes a new one.
        client.once('expired', () => {
          if (this.client === pending) this.client = undefined;
          void closeZookeeper(client);
        });
        return client;
      });
      pending.catch(() => {
        if (this.client === pending) this.client = undefined;
      });
      this.client = pending;
    }
    return this.client;
  }

  private async op<T>(fn: (client: ZookeeperClient) => Promise<T>, what: string): Promise<T> {
    const client = await this.connection();
    try {
      return await withTimeout(fn(client), this.timeoutMs, what);
    } catch (err) {
      if (isConnectionLoss(err) || (err instanceof Error && err.name === 'TimeoutError')) {
        if (this.client) {
          const stale = this.client;
          this.client = undefined;
          void stale.then(closeZookeeper, () => undefined);
        }
      }
      throw err;
    }
  }
}

/** An in-process config node with ZooKeeper's version semantics (tests, the embedded mode). */
export class MemoryConfigNode implements ConfigNode {
  text: string | null;
  version = 0;
  /** Makes the next reads or writes throw, to simulate an unreachable ZooKeeper. */
  failReads = false;
  failWrites = false;
  private readonly listeners = new Set<(text: string) => void>();

  constructor(
    readonly path = '/scrapy-cluster/crawler/all',
    initial: string | null = null,
  ) {
    this.text = initial;
  }

  async read(): Promise<{ text: string; version: number } | null> {
    if (this.failReads) throw new Error('ZooKeeper unreachable');
    return this.text === null ? null : { text: this.text, version: this.version };
  }

  async write(text: string, version: number): Promise<void> {
    if (this.failWrites) throw new Error('ZooKeeper unreachable');
    if (this.text === null || version !== this.version) throw new ConfigConflict(this.path);
    this.text = text;
    this.version++;
    this.notify(text);
  }

  async create(text: string): Promise<void> {
    if (this.failWrites) throw new Error('ZooKeeper unreachable');
    if (this.text !== null) throw new ConfigConflict(this.path);
    this.text = text;
    this.version = 0;
    this.notify(text);
  }

  /**
   * Follows the node the way a ZooKeeper watcher does: `listener` gets the current contents at once (when
   * the node exists) and the new contents after every change. Returns the unsubscribe function.
   */
  subscribe(listener: (text: string) => void): () => void {
    this.listeners.add(listener);
    if (this.text !== null) listener(this.text);
    return () => void this.listeners.delete(listener);
  }

  private notify(text: string): void {
    for (const listener of [...this.listeners]) listener(text);
  }

  async close(): Promise<void> {}
}
