import type { Socket } from 'node:net';
import zookeeper, { type Client, type Event, type Stat } from 'node-zookeeper-client';
import { BadInputError, ConnectionError, TimeoutError, errorMessage } from '../errors.js';
import { ancestorPaths } from './paths.js';

export type ZookeeperClient = Client;
export type ZookeeperStat = Stat;
export type ZookeeperEvent = Event;
export type NodeWatcher = (event: Event) => void;

/** The largest node the server accepts by default (jute.maxbuffer is 1 MiB including overhead). */
export const MAX_NODE_BYTES = 1024 * 1024 - 1024;

export interface ClientOptions {
  /** Session timeout asked of the server (it clamps to 2..20 ticks); default 30 000 ms. */
  sessionTimeoutMs?: number;
}

/** A client that is not connected yet; call `connect()` on it. Throws BadInputError for empty hosts. */
export function createZookeeperClient(hosts: string, options: ClientOptions = {}): Client {
  const list = hosts
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '');
  if (list.length === 0) throw new BadInputError('ZooKeeper hosts must not be empty');
  return zookeeper.createClient(list.join(','), {
    sessionTimeout: options.sessionTimeoutMs ?? 30_000,
    spinDelay: 1000,
    retries: 0,
  });
}

export function isConnected(client: Client): boolean {
  const state = client.getState();
  return (
    state.code === zookeeper.State.SYNC_CONNECTED.code ||
    state.code === zookeeper.State.CONNECTED_READ_ONLY.code
  );
}

/** Resolves when `client` is connected; rejects with a ConnectionError after `timeoutMs` or on expiry. */
export function waitConnected(client: Client, hosts: string, timeoutMs: number): Promise<void> {
  if (isConnected(client)) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const done = (err?: Error): void => {
      clearTimeout(timer);
      client.removeListener('connected', onConnected);
      client.removeListener('expired', onExpired);
      client.removeListener('authenticationFailed', onAuthFailed);
      if (err) reject(err);
      else resolve();
    };
    const onConnected = (): void => done();
    const onExpired = (): void =>
      done(new ConnectionError('SC_ZOOKEEPER_UNREACHABLE', `ZooKeeper at ${hosts} expired the session`));
    const onAuthFailed = (): void =>
      done(new ConnectionError('SC_ZOOKEEPER_UNREACHABLE', `ZooKeeper at ${hosts} refused authentication`));
    const timer = setTimeout(
      () =>
        done(
          new ConnectionError(
            'SC_ZOOKEEPER_UNREACHABLE',
            `Cannot reach ZooKeeper at ${hosts}: no session within ${timeoutMs} ms`,
          ),
        ),
      timeoutMs,
    );
    client.once('connected', onConnected);
    client.once('expired', onExpired);
    client.once('authenticationFailed', onAuthFailed);
  });
}

/**
 * Connects a raw client, for one-off jobs (the pusher, the Redis Monitor's ZooKeeper plugin). Rejects
 * with ConnectionError('SC_ZOOKEEPER_UNREACHABLE') when no session is made within `timeoutMs`; the
 * half-made client is closed then. Close the returned client with `closeZookeeper`.
 */
export async function connectZookeeper(
  hosts: string,
  timeoutMs = 10_000,
  options: ClientOptions = {},
): Promise<Client> {
  const client = createZookeeperClient(hosts, options);
  client.connect();
  try {
    await waitConnected(client, hosts, timeoutMs);
  } catch (err) {
    await closeZookeeper(client);
    throw err;
  }
  return client;
}

/** The parts of node-zookeeper-client's private connection manager that closing needs. */
interface ConnectionManagerInternals {
  state: number;
  socket?: Socket;
  on(event: 'state', listener: (state: number) => void): unknown;
  removeListener(event: 'state', listener: (state: number) => void): unknown;
}

const MANAGER_CLOSED = -2;

function managerOf(client: Client): ConnectionManagerInternals | undefined {
  const manager = (client as unknown as { connectionManager?: ConnectionManagerInternals }).connectionManager;
  return manager && typeof manager.on === 'function' ? manager : undefined;
}

/**
 * Closes a client and waits (at most `graceMs`) until its socket is gone. The library's close() only
 * queues a close-session packet, which never completes over a dead or half-open connection and would
 * keep the socket (and the process) alive; after the grace period the socket is destroyed instead.
 */
export async function closeZookeeper(client: Client, graceMs = 1000): Promise<void> {
  const manager = managerOf(client);
  if (manager?.state === MANAGER_CLOSED) return;
  await new Promise<void>((resolve) => {
    const finish = (): void => {
      clearTimeout(timer);
      manager?.removeListener('state', onState);
      resolve();
    };
    const onState = (state: number): void => {
      if (state === MANAGER_CLOSED) finish();
    };
    const timer = setTimeout(() => {
      manager?.socket?.destroy();
      finish();
    }, graceMs);
    manager?.on('state', onState);
    try {
      client.close();
    } catch {
      // close() writes to the socket synchronously and throws if there is none yet.
      manager?.socket?.destroy();
    }
    // Without a session there is nobody to say goodbye to: drop the (connecting) socket at once.
    if (manager && manager.state !== MANAGER_CLOSED && !isConnected(client)) manager.socket?.destroy();
  });
}

/** Rejects with TimeoutError when `promise` has not settled within `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new TimeoutError(`${what}: no answer within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(asError(err));
      },
    );
  });
}

/** node-zookeeper-client's Exception inherits Error at run time, but its typings do not say so. */
function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(errorMessage(err));
}

function hasCode(err: unknown, code: number): boolean {
  return err instanceof zookeeper.Exception && err.getCode() === code;
}

export const isNoNode = (err: unknown): boolean => hasCode(err, zookeeper.Exception.NO_NODE);
export const isNodeExists = (err: unknown): boolean => hasCode(err, zookeeper.Exception.NODE_EXISTS);
export const isBadVersion = (err: unknown): boolean => hasCode(err, zookeeper.Exception.BAD_VERSION);
export const isConnectionLoss = (err: unknown): boolean =>
  hasCode(err, zookeeper.Exception.CONNECTION_LOSS) || hasCode(err, zookeeper.Exception.SESSION_EXPIRED);

function toBuffer(data: Buffer | string | undefined | null): Buffer {
  // Empty rather than null data: Python readers (kazoo) decode whatever they get and choke on None.
  if (data === undefined || data === null) return Buffer.alloc(0);
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}

export interface NodeData {
  data: Buffer;
  /** `data` decoded as UTF-8, as the original did. */
  text: string;
  stat: Stat;
}

/** getData; with `watcher`, a one-shot data watch is left on the node. Rejects with NO_NODE if missing. */
export function getData(client: Client, path: string, watcher?: NodeWatcher): Promise<NodeData> {
  return new Promise((resolve, reject) => {
    const callback = (err: unknown, data: Buffer | null | undefined, stat: Stat): void => {
      if (err) return reject(asError(err));
      const buffer = data ?? Buffer.alloc(0);
      resolve({ data: buffer, text: buffer.toString('utf8'), stat });
    };
    if (watcher) client.getData(path, watcher, callback);
    else client.getData(path, callback);
  });
}

/** exists; with `watcher`, a one-shot watch fires on creation, change or deletion. */
export function exists(client: Client, path: string, watcher?: NodeWatcher): Promise<Stat | undefined> {
  return new Promise((resolve, reject) => {
    const callback = (err: unknown, stat: Stat | null | undefined): void => {
      if (err) return reject(asError(err));
      resolve(stat ?? undefined);
    };
    if (watcher) client.exists(path, watcher, callback);
    else client.exists(path, callback);
  });
}

/** setData; `version` -1 matches any version, otherwise BAD_VERSION is raised on a concurrent write. */
export function setData(
  client: Client,
  path: string,
  data: Buffer | string | null,
  version = -1,
): Promise<Stat> {
  return new Promise((resolve, reject) => {
    client.setData(path, toBuffer(data), version, (err, stat) =>
      err ? reject(asError(err)) : resolve(stat),
    );
  });
}

/** Creates a persistent node; with `parents`, missing ancestors are created (empty) first. */
export async function createNode(
  client: Client,
  path: string,
  data?: Buffer | string | null,
  options: { parents?: boolean } = {},
): Promise<string> {
  if (options.parents) {
    for (const ancestor of ancestorPaths(path)) await createIgnoringExists(client, ancestor);
  }
  return new Promise((resolve, reject) => {
    client.create(path, toBuffer(data), zookeeper.CreateMode.PERSISTENT, (err, created) =>
      err ? reject(asError(err)) : resolve(created),
    );
  });
}

async function createIgnoringExists(client: Client, path: string): Promise<void> {
  try {
    await createNode(client, path);
  } catch (err) {
    if (!isNodeExists(err)) throw err;
  }
}

/** Makes sure `path` and its ancestors exist (kazoo's ensure_path); existing nodes are left as they are. */
export async function mkdirp(client: Client, path: string): Promise<void> {
  if (path === '/' || (await exists(client, path)) !== undefined) return;
  for (const node of [...ancestorPaths(path), path]) await createIgnoringExists(client, node);
}
