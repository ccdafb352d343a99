import { priorityPush } from '../core/queues/index.js';
import type { Arg, Pipeline, ScriptDef } from '../core/store/index.js';
import type { Transaction } from './plugins/plugin.js';

/**
 * Scripts whose ARGV is a list of items applied one after the other, so two calls on the same key can be
 * sent as one call with the arguments concatenated (priority-push: `priority, member, ...`).
 */
const MERGEABLE = new Set<ScriptDef>([priorityPush]);

type CallOp = { kind: 'call'; args: [string, ...Arg[]] };
type RunOp = { kind: 'run'; script: ScriptDef; keys: string[]; args: Arg[] };
/** Plain SETs gathered into one MSET while the batch is coalesced. */
type SetsOp = { kind: 'sets'; keys: string[]; args: Arg[] };
type Op = CallOp | RunOp;

/** The key and value of a plain `SET key value` (no options), else undefined. */
function plainSet(op: Op): [string, Arg] | undefined {
  return op.kind === 'call' &&
    op.args.length === 3 &&
    typeof op.args[1] === 'string' &&
    op.args[0].toUpperCase() === 'SET'
    ? [op.args[1], op.args[2]!]
    : undefined;
}

/**
 * Fewer, larger commands for the same effect. Pushes of a mergeable script onto one key become one call
 * placed where the first of them was; plain `SET key value`s become one MSET placed where the
 * first of them was. A write only joins an earlier call when no write in between named its key (a call
 * with the key among its arguments, a script among its keys), so every key still sees its writes in the
 * order they were made; writes to other keys are independent of it.
 */
function coalesce(ops: Op[]): Op[] {
  const out: (Op | SetsOp)[] = [];
  const pushes = new Map<string, RunOp>();
  let sets: SetsOp | undefined;
  /** Keys named by other writes since `sets` was placed: a SET of one of them cannot join it. */
  let namedSince = new Set<string>();
  const named = (key: string) => {
    pushes.delete(key);
    if (sets) namedSince.add(key);
  };
  for (const op of ops) {
    const set = plainSet(op);
    if (set) {
      const [key, value] = set;
      pushes.delete(key);
      if (sets && !namedSince.has(key)) {
        sets.keys.push(key);
        sets.args.push(value);
      } else {
        sets = { kind: 'sets', keys: [key], args: [value] };
        namedSince = new Set();
        out.push(sets);
      }
    } else if (op.kind === 'run' && op.keys.length === 1 && MERGEABLE.has(op.script)) {
      const key = op.keys[0]!;
      const open = pushes.get(key);
      if (open && open.script === op.script) {
        for (const arg of op.args) open.args.push(arg);
      } else {
        const run: RunOp = { ...op, args: [...op.args] };
        out.push(run);
        pushes.set(key, run);
      }
      if (sets) namedSince.add(key);
    } else {
      if (op.kind === 'call') {
        for (let i = 1; i < op.args.length; i++) {
          const arg = op.args[i];
          if (typeof arg === 'string') named(arg);
        }
      } else {
        for (const key of op.keys) named(key);
      }
      out.push(op);
    }
  }
  // One MSET per group of SETs (atomic like the set-many script it replaced); a SET that found no
  // company is sent as the SET it was.
  return out.map((op): Op => {
    if (op.kind !== 'sets') return op;
    if (op.keys.length === 1) return { kind: 'call', args: ['SET', op.keys[0]!, op.args[0]!] };
    return { kind: 'call', args: ['MSET', ...op.keys.flatMap((key, i) => [key, op.args[i]!])] };
  });
}

/**
 * The writes of one batch, sent in one round trip at commit (coalesced, see above), plus callbacks to run
 * once they succeeded.
 */
export class BatchTransaction implements Transaction {
  private readonly callbacks: (() => void)[] = [];
  private readonly ops: Op[] = [];
  private readonly announcements = new Map<string, Set<string>>();

  constructor(private readonly pipeline: Pipeline) {}

  call(command: string, ...args: Arg[]): void {
    this.ops.push({ kind: 'call', args: [command, ...args] });
  }

  run(script: ScriptDef, keys: string[], args: Arg[]): void {
    this.ops.push({ kind: 'run', script, keys, args });
  }

  announce(channel: string, member: string): void {
    let members = this.announcements.get(channel);
    if (!members) this.announcements.set(channel, (members = new Set()));
    members.add(member);
  }

  afterCommit(fn: () => void): void {
    this.callbacks.push(fn);
  }

  /** Writes recorded so far (before coalescing). */
  get size(): number {
    return this.ops.length;
  }

  /** Sends every write in one round trip; throws the first failure so the batch is retried whole. */
  async commit(): Promise<void> {
    if (this.ops.length > 0) {
      for (const op of coalesce(this.ops.splice(0))) {
        if (op.kind === 'call') this.pipeline.call(...op.args);
        else this.pipeline.run(op.script, op.keys, op.args);
      }
      // After the writes in the same round trip, so a crawler that hears of a queue finds it filled.
      for (const [channel, members] of this.announcements) {
        this.pipeline.call('PUBLISH', channel, [...members].join('\n'));
      }
      this.announcements.clear();
      const replies = await this.pipeline.exec();
      const failed = replies.find((r): r is Error => r instanceof Error);
      if (failed) throw failed;
    }
    for (const fn of this.callbacks.splice(0)) fn();
  }
}
