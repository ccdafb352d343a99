import { createClient } from 'redis';
import { BaseStore, RecordingPipeline, type PipelineEntry } from './base-store.js';
import { asString, formatScore } from './reply.js';
import type { Arg, Pipeline, Reply, ScriptDef } from './types.js';
import { ConnectionError, errorMessage } from '../errors.js';

export interface RedisStoreOptions {
  host: string;
  port: number;
  db?: number;
  password?: string | null;
  /** Seconds; applies to connecting and to each command (REDIS_SOCKET_TIMEOUT). */
  socketTimeout?: number;
  /** Client name shown by CLIENT LIST. */
  name?: string;
}

type Client = ReturnType<typeof createRedisClient>;

function toWire(arg: Arg): string {
  return typeof arg === 'number' ? formatScore(arg) : arg;
}

function createRedisClient(options: RedisStoreOptions) {
  const timeoutMs = (options.socketTimeout ?? 10) * 1000;
  let first = true;
  const client = createClient({
    RESP: 2,
    socket: {
      host: options.host,
      port: options.port,
      connectTimeout: timeoutMs,
      // The first connect fails fast (a clear error at start); later drops reconnect with backoff.
      reconnectStrategy: (retries: number) => (first ? false : Math.min(100 * 2 ** retries, 5_000)),
    },
    database: options.db ?? 0,
    ...(options.password ? { password: options.password } : {}),
    ...(options.name ? { name: options.name } : {}),
    disableOfflineQueue: true,
    commandOptions: { timeout: timeoutMs },
  });
  client.on('ready', () => {
    first = false;
  });
  // Errors surface through the failed commands; an unhandled 'error' event would kill the process.
  client.on('error', () => undefined);
  return client;
}

/**
 * The production store on a real Redis server (node-redis, RESP2). Commands issued in the same tick are
 * written together (node-redis auto-pipelining), which is what `pipeline()` relies on. Commands fail fast
 * while disconnected instead of queueing, so callers can back off and log; the client keeps reconnecting
 * in the background.
 */
export class RedisStore extends BaseStore {
  readonly kind = 'redis' as const;
  private readonly shas = new Map<string, Promise<string>>();
  private blocking: Client | undefined;
  private subscriber: Client | undefined;

  private constructor(
    private readonly client: Client,
    private readonly options: RedisStoreOptions,
  ) {
    super();
  }

  static async connect(options: RedisStoreOptions): Promise<RedisStore> {
    const client = RedisStore.createClient(options);
    const where = `${options.host}:${options.port}`;
    try {
      await client.connect();
      await client.sendCommand(['PING']);
    } catch (err) {
      client.destroy();
      throw new ConnectionError(
        'SC_REDIS_UNREACHABLE',
        `Cannot reach Redis at ${where}: ${errorMessage(err)}`,
        {
          cause: err,
        },
      );
    }
    return new RedisStore(client, options);
  }

  private static createClient(options: RedisStoreOptions): Client {
    return createRedisClient(options);
  }

  get isReady(): boolean {
    return this.client.isReady;
  }

  call(command: string, ...args: Arg[]): Promise<Reply> {
    return this.client.sendCommand<Reply>([command, ...args.map(toWire)]);
  }

  async run(script: ScriptDef, keys: string[], args: Arg[] = []): Promise<Reply> {
    const wire = [String(keys.length), ...keys, ...args.map(toWire)];
    const sha = await this.sha(script);
    try {
      return await this.client.sendCommand<Reply>(['EVALSHA', sha, ...wire]);
    } catch (err) {
      // The server lost its script cache (restart, SCRIPT FLUSH): send the source once more.
      if (!errorMessage(err).startsWith('NOSCRIPT')) throw err;
      return this.client.sendCommand<Reply>(['EVAL', script.lua(), ...wire]);
    }
  }

  pipeline(): Pipeline {
    return new RecordingPipeline(async (entries) => {
      // Load missing script hashes first so the batch itself is one round trip.
      await Promise.all(entries.filter((e) => e.kind === 'script').map((e) => this.sha(e.script)));
      const settled = await Promise.allSettled(entries.map((e) => this.send(e)));
      return settled.map((s) =>
        s.status === 'fulfilled'
          ? s.value
          : s.reason instanceof Error
            ? s.reason
            : new Error(String(s.reason)),
      );
    });
  }

  async subscribe(channel: string, listener: (message: string) => void): Promise<() => Promise<void>> {
    if (!this.subscriber) {
      // A subscribed connection can run no other command; node-redis resubscribes it after a reconnect.
      this.subscriber = this.client.duplicate();
      this.subscriber.on('error', () => undefined);
      await this.subscriber.connect();
    }
    const subscriber = this.subscriber;
    const receive = (message: string) => listener(message);
    await subscriber.subscribe(channel, receive);
    return async () => {
      if (subscriber.isOpen) await subscriber.unsubscribe(channel, receive);
    };
  }

  brpop(key: string, timeoutSeconds: number): Promise<string | null> {
    return this.blockingPop('BRPOP', key, timeoutSeconds);
  }

  blpop(key: string, timeoutSeconds: number): Promise<string | null> {
    return this.blockingPop('BLPOP', key, timeoutSeconds);
  }

  async close(): Promise<void> {
    await Promise.all(
      [this.client, this.blocking, this.subscriber].map(async (c) => {
        if (!c) return;
        try {
          if (c.isOpen) await c.close();
        } catch {
          c.destroy();
        }
      }),
    );
  }

  private send(entry: PipelineEntry): Promise<Reply> {
    if (entry.kind === 'call') return this.client.sendCommand<Reply>(entry.args.map(toWire));
    return this.run(entry.script, entry.keys, entry.args);
  }

  /** One SCRIPT LOAD per script, shared by every caller that needs it meanwhile. */
  private sha(script: ScriptDef): Promise<string> {
    let sha = this.shas.get(script.name);
    if (!sha) {
      sha = this.client.sendCommand<Reply>(['SCRIPT', 'LOAD', script.lua()]).then((r) => asString(r) ?? '');
      sha.catch(() => this.shas.delete(script.name));
      this.shas.set(script.name, sha);
    }
    return sha;
  }

  /** Blocking commands get their own connection so they never stall the shared one. */
  private async blockingPop(
    command: 'BRPOP' | 'BLPOP',
    key: string,
    timeoutSeconds: number,
  ): Promise<string | null> {
    if (!this.blocking) {
      this.blocking = this.client.duplicate({ commandOptions: { timeout: 0 } });
      this.blocking.on('error', () => undefined);
      await this.blocking.connect();
    }
    const reply = await this.blocking.sendCommand<Reply>([command, key, String(timeoutSeconds)]);
    return Array.isArray(reply) ? asString(reply[1] ?? null) : null;
  }
}
