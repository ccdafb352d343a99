import type { Arg, Pipeline, ScriptDef } from '../core/store/index.js';
import type { Transaction } from './plugins/plugin.js';

/** The writes of one batch: a pipeline plus callbacks to run once it succeeded. */
export class BatchTransaction implements Transaction {
  private readonly callbacks: (() => void)[] = [];

  constructor(private readonly pipeline: Pipeline) {}

  call(command: string, ...args: Arg[]): void {
    this.pipeline.call(command, ...args);
  }

  run(script: ScriptDef, keys: string[], args: Arg[]): void {
    this.pipeline.run(script, keys, args);
  }

  afterCommit(fn: () => void): void {
    this.callbacks.push(fn);
  }

  get size(): number {
    return this.pipeline.length;
  }

  /** Sends every write in one round trip; throws the first failure so the batch is retried whole. */
  async commit(): Promise<void> {
    if (this.pipeline.length > 0) {
      const replies = await this.pipeline.exec();
      const failed = replies.find((r): r is Error => r instanceof Error);
      if (failed) throw failed;
    }
    for (const fn of this.callbacks.splice(0)) fn();
  }
}
