import type { Client } from 'node-zookeeper-client';
import { BadInputError, ClosedError, ConnectionError, TimeoutError, errorMessage } from '../errors.js';
import { backoffDelay } from './backoff.js';
import {
  closeZookeeper,
  createZookeeperClient,
  exists,
  getData,
  isConnectionLoss,
  isNoNode,
  mkdirp,
  withTimeout,
  type NodeWatcher,
} from './client.js';
import { HandlerSet, type WatcherHandlers } from './handlers.js';
import { isValidNodePath, parsePointer } from './paths.js';
import { WatchState } from './state.js';

export interface ZookeeperWatcherOptions extends WatcherHandlers {
  /** ZooKeeper connection string, e.g. `localhost:2181` or `h1:2181,h2:2181/chroot`. */
  hosts: string;
  /** Full path of the node to watch (in pointer mode: of the node holding the path to watch). */
  filepath: string;
  /** The node's contents are the path of the node to watch; a change of either re-targets. */
  pointer?: boolean;
  /** Create `filepath` (and its parents, empty) when it is missing. */
  ensure?: boolean;
  /** `start()` rejects when no session is made within `connectTimeoutMs` (default true). */
  validInit?: boolean;
  /** How long to wait for a session at start-up, and before replacing a client that cannot connect. */
  connectTimeoutMs?: number;
  /** Session timeout asked of the server; default 30 000 ms. */
  sessionTimeoutMs?: number;
  /** A read that takes longer means a dead connection: the client is replaced. Default 10 000 ms. */
  requestTimeoutMs?: number;
  /** Interval of the re-read that doubles as a liveness check; 0 turns it off. Default 10 000 ms. */
  checkIntervalMs?: number;
  /** Upper bound of the pause between replacement clients; default 5 000 ms. */
  maxBackoffMs?: number;
}

/** One client and its session. Replaced wholesale after expiry or a stall; a dead one is ignored. */
interface Session {
  readonly client: Client;
  dead: boolean;
  connected: boolean;
  syncing: boolean;
  /** Something may have changed since the last read (watch event, reconnect, periodic check). */
  dirty: boolean;
  /** One function per session: the library de-duplicates watchers by identity, so re-arming never stacks. */
  readonly onWatch: NodeWatcher;
  watchdog?: NodeJS.Timeout;
}

type ReadOutcome =
  | { kind: 'ok'; contents: string; pointer?: string }
  | { kind: 'missing'; path: string; pointer?: string }
  | { kind: 'bad-pointer'; raw: string };

/**
 * Watches one ZooKeeper node (or, in pointer mode, the node another node names) and reports changes,
 * like scutils' ZookeeperWatcher: a circuit breaker that keeps the last good contents while the
 * connection is down and re-establishes the session and the watches by itself.
 *
 * Unlike the original (which could stall for good, issue #203) every trigger — watch event, reconnect,
 * periodic check — only marks the state dirty; one serialized read then re-reads the node(s), re-arms
 * the one-shot watches and compares with what was last reported, so the config handler runs exactly
 * once per real change. A client whose session expired, that cannot connect, or whose reads hang is
 * closed and replaced, with backoff.
 */
export class ZookeeperWatcher {
  readonly hosts: string;
  readonly filepath: string;
  private readonly pointer: boolean;
  private readonly ensure: boolean;
  private readonly validInit: boolean;
  private readonly connectTimeoutMs: number;
  private readonly sessionTimeoutMs: number;
  private readonly requestTimeoutMs: number;
  private readonly maxBackoffMs: number;
  private readonly state: WatchState;
  private session: Session | undefined;
  private reopenAttempt = 0;
  private lastProblem: string | undefined;
  private reopenTimer: NodeJS.Timeout | undefined;
  private readonly checkTimer: NodeJS.Timeout | undefined;
  private readonly initTimer: NodeJS.Timeout;
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly closingClients = new Set<Promise<void>>();
  private readonly firstRead: Promise<void>;
  private firstReadSettled = false;
  private readonly settleFirstReadPromise: (err?: Error) => void;

  /** Starts connecting in the background; prefer `ZookeeperWatcher.start()`, which waits for the first read. */
  constructor(options: ZookeeperWatcherOptions) {
    if (!isValidNodePath(options.filepath)) {
      throw new BadInputError(`Invalid ZooKeeper file path: ${JSON.stringify(options.filepath)}`);
    }
    if (options.hosts.trim() === '') throw new BadInputError('ZooKeeper hosts must not be empty');
    this.hosts = options.hosts;
    this.filepath = options.filepath;
    this.pointer = options.pointer ?? false;
    this.ensure = options.ensure ?? false;
    this.validInit = options.validInit ?? true;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 15_000;
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? 30_000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.maxBackoffMs = options.maxBackoffMs ?? 5_000;
    this.state = new WatchState(new HandlerSet(options));

    let settle: (err?: Error) => void = () => undefined;
    this.firstRead = new Promise<void>((resolve, reject) => {
      settle = (err) => (err ? reject(err) : resolve());
    });
    // Constructor users may never call ready(); a failed start must not become an unhandled rejection.
    this.firstRead.catch(() => undefined);
    this.settleFirstReadPromise = settle;

    this.initTimer = setTimeout(() => this.onInitTimeout(), this.connectTimeoutMs);
    const checkMs = options.checkIntervalMs ?? 10_000;
    this.checkTimer = checkMs > 0 ? setInterval(() => this.periodicCheck(), checkMs) : undefined;
    this.openSession();
  }

  /**
   * Creates a watcher and resolves once the first read is done (valid or not). With `validInit` (the
   * default) it rejects with ConnectionError('SC_ZOOKEEPER_UNREACHABLE') when ZooKeeper cannot be
   * reached within `connectTimeoutMs`; without it, it resolves then anyway and keeps trying.
   */
  static async start(options: ZookeeperWatcherOptions): Promise<ZookeeperWatcher> {
    const watcher = new ZookeeperWatcher(options);
    try {
      await watcher.ready();
    } catch (err) {
      await watcher.close();
      throw err;
    }
    return watcher;
  }

  /** Settles like `start()`. */
  ready(): Promise<void> {
    return this.firstRead;
  }

  /** Whether the watched file (and pointer) could be read last time; for polling use. */
  isValid(): boolean {
    return !this.closed && this.state.isValid();
  }

  /**
   * The last contents read ('' before the first read); they are kept while the watcher is invalid.
   * With `pointer` in pointer mode: the pointer node's (trimmed) contents instead.
   */
  getFileContents(pointer = false): string {
    return pointer && this.pointer ? this.state.pointerContents() : this.state.fileContents();
  }

  /** True when the current session answers a request within `requestTimeoutMs`. Never throws. */
  async ping(): Promise<boolean> {
    const session = this.session;
    if (this.closed || !session || session.dead || !session.connected) return false;
    try {
      await withTimeout(exists(session.client, '/'), this.requestTimeoutMs, 'ZooKeeper ping');
      return true;
    } catch {
      return false;
    }
  }

  /** Stops watching and closes the client; no handler is called afterwards. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    this.state.stop();
    clearTimeout(this.initTimer);
    clearInterval(this.checkTimer);
    clearTimeout(this.reopenTimer);
    this.settleFirstRead(new ClosedError('ZookeeperWatcher'));
    if (this.session) this.retire(this.session);
    await Promise.all([...this.closingClients]);
  }

  private settleFirstRead(err?: Error): void {
    if (this.firstReadSettled) return;
    this.firstReadSettled = true;
    clearTimeout(this.initTimer);
    this.settleFirstReadPromise(err);
  }

  private onInitTimeout(): void {
    if (this.firstReadSettled || this.closed) return;
    const message = this.session?.connected
      ? `Connected to ZooKeeper at ${this.hosts} but could not read ${this.filepath} within ${this.connectTimeoutMs} ms`
      : `Cannot reach ZooKeeper at ${this.hosts}: no session within ${this.connectTimeoutMs} ms`;
    if (this.validInit) {
      this.settleFirstRead(new ConnectionError('SC_ZOOKEEPER_UNREACHABLE', message));
      void this.close();
    } else {
      this.problem(message);
      this.settleFirstRead();
    }
  }

  /** Reports a problem; the same one again while still invalid is not repeated (periodic checks). */
  private problem(message: string): void {
    if (this.state.isValid() || message !== this.lastProblem) this.state.invalidate(message);
    this.lastProblem = message;
  }

  private openSession(): void {
    this.reopenTimer = undefined;
    if (this.closed) return;
    const client = createZookeeperClient(this.hosts, { sessionTimeoutMs: this.sessionTimeoutMs });
    const session: Session = {
      client,
      dead: false,
      connected: false,
      syncing: false,
      dirty: false,
      onWatch: () => this.requestSync(session),
    };
    this.session = session;
    client.on('connected', () => this.onConnected(session));
    client.on('disconnected', () => this.onDisconnected(session));
    client.on('expired', () => this.onLost(session, 'Zookeeper session expired, re-establishing'));
    client.on('authenticationFailed', () =>
      this.onLost(session, 'Zookeeper refused authentication, retrying'),
    );
    this.armWatchdog(session);
    client.connect();
  }

  private onConnected(session: Session): void {
    if (session.dead) return;
    session.connected = true;
    clearTimeout(session.watchdog);
    this.reopenAttempt = 0;
    // Watches are re-sent by the library after a reconnect, but a change made while we were away may
    // already have fired; re-reading is the only safe way to catch up.
    this.requestSync(session);
  }

  private onDisconnected(session: Session): void {
    if (session.dead) return;
    session.connected = false;
    this.problem('Connection interrupted with Zookeeper, re-establishing');
    this.armWatchdog(session);
  }

  private onLost(session: Session, message: string): void {
    if (session.dead) return;
    this.problem(message);
    this.replaceSession(session);
  }

  /** The library retries a lost connection by itself, but never gives up on a hopeless one. */
  private armWatchdog(session: Session): void {
    clearTimeout(session.watchdog);
    session.watchdog = setTimeout(() => {
      if (session.dead || session.connected || this.closed) return;
      if (this.validInit && !this.firstReadSettled) return; // start() fails instead
      this.problem(
        `No session with ZooKeeper at ${this.hosts} for ${this.connectTimeoutMs} ms, reconnecting`,
      );
      this.replaceSession(session);
    }, this.connectTimeoutMs);
  }

  private replaceSession(session: Session): void {
    if (session.dead || this.closed) return;
    this.retire(session);
    const delay = backoffDelay(this.reopenAttempt++, { maxMs: this.maxBackoffMs });
    this.reopenTimer = setTimeout(() => this.openSession(), delay);
  }

  private retire(session: Session): void {
    session.dead = true;
    session.connected = false;
    clearTimeout(session.watchdog);
    if (this.session === session) this.session = undefined;
    const closing = closeZookeeper(session.client).finally(() => this.closingClients.delete(closing));
    this.closingClients.add(closing);
  }

  private periodicCheck(): void {
    const session = this.session;
    if (this.closed || !session || session.dead || !session.connected || session.syncing) return;
    this.requestSync(session);
  }

  private requestSync(session: Session): void {
    if (session.dead || this.closed) return;
    session.dirty = true;
    if (!session.syncing) void this.runSync(session);
  }

  /** Serializes reads per session; triggers that arrive meanwhile cause one more read, not one each. */
  private async runSync(session: Session): Promise<void> {
    session.syncing = true;
    try {
      while (session.dirty && session.connected && !session.dead && !this.closed) {
        session.dirty = false;
        await this.syncOnce(session);
      }
    } catch (err) {
      // syncOnce handles its own failures; this only keeps a bug from becoming an unhandled rejection.
      this.problem(`Zookeeper watcher failure: ${errorMessage(err)}`);
    } finally {
      session.syncing = false;
    }
  }

  private async syncOnce(session: Session): Promise<void> {
    let outcome: ReadOutcome;
    try {
      outcome = await this.read(session);
    } catch (err) {
      if (session.dead || this.closed) return;
      if (err instanceof TimeoutError) {
        // Requests queued while disconnected just wait; the reconnect re-reads. A connected session
        // that does not answer is the stall of issue #203: replace it.
        if (!session.connected) return;
        this.problem(`Zookeeper did not answer within ${this.requestTimeoutMs} ms, re-establishing`);
        this.replaceSession(session);
        return;
      }
      // The disconnected/expired events report these, and the reconnect triggers a fresh read.
      if (isConnectionLoss(err)) return;
      this.problem(`Invalid get on file path ${this.filepath}: ${errorMessage(err)}`);
      this.settleFirstRead();
      return;
    }
    if (session.dead || this.closed) return;
    if (outcome.kind !== 'bad-pointer' && outcome.pointer !== undefined)
      this.state.setPointer(outcome.pointer);
    if (outcome.kind === 'ok') {
      this.lastProblem = undefined;
      this.state.accept(outcome.contents);
    } else if (outcome.kind === 'missing') {
      this.problem(`Invalid get on file path ${outcome.path}: the node does not exist`);
    } else {
      this.state.setPointer(outcome.raw.trim());
      this.problem('Invalid pointer path');
    }
    this.settleFirstRead();
  }

  private async read(session: Session): Promise<ReadOutcome> {
    const { client, onWatch } = session;
    const limit = <T>(what: string, p: Promise<T>): Promise<T> => withTimeout(p, this.requestTimeoutMs, what);
    const readNode = (path: string) => limit(`reading ${path}`, readWatched(client, path, onWatch));

    let main = await readNode(this.filepath);
    if (main === undefined && this.ensure) {
      await limit(`creating ${this.filepath}`, mkdirp(client, this.filepath));
      main = await readNode(this.filepath);
    }
    if (main === undefined) return { kind: 'missing', path: this.filepath };
    if (!this.pointer) return { kind: 'ok', contents: main };

    const target = parsePointer(main);
    if (target === undefined) return { kind: 'bad-pointer', raw: main };
    const data = await readNode(target);
    if (data === undefined) return { kind: 'missing', path: target, pointer: target };
    return { kind: 'ok', contents: data, pointer: target };
  }
}

/**
 * Reads a node and leaves a one-shot watch on it. A missing node gets an existence watch instead, so
 * its creation is noticed too; undefined then.
 */
async function readWatched(client: Client, path: string, watcher: NodeWatcher): Promise<string | undefined> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return (await getData(client, path, watcher)).text;
    } catch (err) {
      if (!isNoNode(err)) throw err;
    }
    // Created between the two calls: read it again (the watch set by exists fires on its next change).
    if ((await exists(client, path, watcher)) === undefined) return undefined;
  }
  return undefined;
}
