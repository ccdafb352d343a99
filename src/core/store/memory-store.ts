import { BaseStore, RecordingPipeline } from './base-store.js';
import { MemoryEngine } from './memory/engine.js';
import { formatScore } from './reply.js';
import type { Arg, Pipeline, Reply, ScriptDef } from './types.js';
import { ClosedError } from '../errors.js';

/**
 * The store for the embedded single-process mode and fast unit tests. Several MemoryStore instances may
 * share one engine, the way several processes share one Redis.
 */
export class MemoryStore extends BaseStore {
  readonly kind = 'memory' as const;
  private closed = false;

  constructor(readonly engine: MemoryEngine = new MemoryEngine()) {
    super();
  }

  call(command: string, ...args: Arg[]): Promise<Reply> {
    try {
      this.assertOpen();
      return Promise.resolve(this.engine.exec(command, args));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  subscribe(channel: string, listener: (message: string) => void): Promise<() => Promise<void>> {
    const event = `message:${channel}`;
    // Delivered after the publishing command returned, as a Redis subscriber receives it.
    const deliver = (message: string) => queueMicrotask(() => listener(message));
    this.engine.on(event, deliver);
    return Promise.resolve(() => {
      this.engine.off(event, deliver);
      return Promise.resolve();
    });
  }

  run(script: ScriptDef, keys: string[], args: Arg[] = []): Promise<Reply> {
    try {
      this.assertOpen();
      return Promise.resolve(this.runSync(script, keys, args));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  pipeline(): Pipeline {
    return new RecordingPipeline(async (entries) =>
      entries.map((entry) => {
        try {
          this.assertOpen();
          if (entry.kind === 'call') {
            const [command, ...args] = entry.args;
            return this.engine.exec(String(command), args);
          }
          return this.runSync(entry.script, entry.keys, entry.args);
        } catch (err) {
          return err instanceof Error ? err : new Error(String(err));
        }
      }),
    );
  }

  brpop(key: string, timeoutSeconds: number): Promise<string | null> {
    return this.blockingPop(key, timeoutSeconds, 'RPOP');
  }

  blpop(key: string, timeoutSeconds: number): Promise<string | null> {
    return this.blockingPop(key, timeoutSeconds, 'LPOP');
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private runSync(script: ScriptDef, keys: string[], args: Arg[]): Reply {
    const call = (command: string, ...a: Arg[]): Reply => this.engine.exec(command, a);
    return script.memory(
      call,
      keys,
      args.map((a) => (typeof a === 'number' ? formatScore(a) : a)),
    );
  }

  private async blockingPop(
    key: string,
    timeoutSeconds: number,
    pop: 'RPOP' | 'LPOP',
  ): Promise<string | null> {
    const deadline = timeoutSeconds > 0 ? Date.now() + timeoutSeconds * 1000 : Infinity;
    for (;;) {
      const value = (await this.call(pop, key)) as string | null;
      if (value !== null) return value;
      const remaining = deadline - Date.now();
      if (remaining <= 0) return null;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.engine.off(`push:${key}`, done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(remaining, 2_147_483_647));
        this.engine.on(`push:${key}`, done);
      });
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new ClosedError('MemoryStore');
  }
}
