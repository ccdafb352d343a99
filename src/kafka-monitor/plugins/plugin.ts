import type { Logger } from '../../core/logging/index.js';
import type { Arg, ScriptDef, Store } from '../../core/store/index.js';
import type { JsonObject } from '../../core/wire/validator.js';

/** Writes a plugin wants, executed for a whole batch in one Redis round trip. */
export interface Transaction {
  call(command: string, ...args: Arg[]): void;
  run(script: ScriptDef, keys: string[], args: Arg[]): void;
  /**
   * Publishes `member` on a pub/sub channel after the batch's writes: one message per channel and batch,
   * the batch's distinct members separated by newlines (announcing new domain queues to crawlers).
   */
  announce(channel: string, member: string): void;
  /** Runs after the batch's writes succeeded (log lines that must not claim more than happened). */
  afterCommit(fn: () => void): void;
}

export interface PluginContext {
  store: Store;
  logger: Logger;
  settings: Readonly<Record<string, unknown>>;
}

/**
 * A Kafka Monitor plugin: a JSON schema and a handler for the requests that validate against it.
 * Requests are tried against plugins in rank order; the first schema that validates wins.
 */
export interface KafkaMonitorPlugin {
  /** Name used in stats keys (`stats:kafka-monitor:<name>:<window>`) and logs. */
  readonly name: string;
  readonly schema: JsonObject;
  setup?(context: PluginContext): void | Promise<void>;
  /**
   * Handles one validated request (defaults filled in, `ts` added). Returning anything but undefined
   * lets later plugins try the same request too. Throw BadInputError for requests that can never
   * succeed: they are logged, counted as failures and skipped; any other error retries the batch.
   */
  handle(request: JsonObject, tx: Transaction): unknown;
  close?(): void | Promise<void>;
}

/** What a PLUGINS entry may export: a plugin object or a class with a no-argument constructor. */
export type PluginExport = KafkaMonitorPlugin | (new () => KafkaMonitorPlugin);
