/** One record as consumers see it. Values are UTF-8 text (every topic of the cluster carries JSON). */
export interface BusMessage {
  topic: string;
  partition: number;
  offset: bigint;
  key: string | null;
  value: string;
  /** Milliseconds since the epoch, as the broker stamped it. */
  timestamp: number;
}

export type Outgoing = string | { key?: string | null; value: string };

export interface SubscribeOptions {
  topics: string[];
  /**
   * Consumer group sharing the partitions. Without one the subscription reads every partition on its
   * own (each REST node must see every reply), which is a private group under the hood.
   */
  groupId?: string;
  /** Where a group with no committed offset starts: the oldest record, or only new ones. */
  fromBeginning?: boolean;
  /** Largest batch handed to the handler at once. */
  maxBatch?: number;
  /**
   * Receives records in partition order. Offsets are committed only after it resolves, so a crash or
   * a thrown error means redelivery (at-least-once). After a throw the same batch is retried with backoff.
   */
  handler: (messages: BusMessage[]) => Promise<void>;
  /** Called with handler failures and consumer errors; the subscription keeps running. */
  onError?: (error: Error) => void;
  /**
   * Called once when the subscription loses the broker (with the cause) and once when it consumes
   * again. Meanwhile it keeps reconnecting with backoff and resumes from the committed offsets.
   */
  onConnectionChange?: (connected: boolean, cause?: Error) => void;
}

export interface Subscription {
  /** Resolves once the subscription owns its partitions and its start offsets are fixed. */
  readonly ready: Promise<void>;
  /** Whether the subscription is consuming now (false while it reconnects to a lost broker). */
  healthy(): boolean;
  /** Stops consuming; records handed to an unfinished handler are not committed. */
  close(): Promise<void>;
}

/** What Kafka is to the cluster: acknowledged batched produce, group consumption, topic admin. */
export interface Bus {
  readonly kind: 'kafka' | 'memory';
  /** Resolves when the broker acknowledged every record. */
  send(topic: string, messages: Outgoing[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  listTopics(): Promise<string[]>;
  createTopics(topics: string[], partitions?: number): Promise<void>;
  close(): Promise<void>;
}

export function normaliseOutgoing(message: Outgoing): { key: string | null; value: string } {
  return typeof message === 'string'
    ? { key: null, value: message }
    : { key: message.key ?? null, value: message.value };
}
