import type { Bus, BusMessage, Outgoing, Subscription } from '../core/bus/index.js';
import { ConnectionError, errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logging/index.js';
import { backoffDelay, DEFAULT_BACKOFF, pause, withTimeout, type BackoffOptions } from './backoff.js';

export interface KafkaLinkOptions {
  /** Opens a bus; rejects when Kafka cannot be reached. */
  connect: () => Promise<Bus>;
  /** The topic the replies come from (`<prefix>.outbound_firehose`). */
  replyTopic: string;
  /** Receives the replies; read privately (every partition), as each REST node must. */
  onReplies: (messages: BusMessage[]) => Promise<void>;
  /** Start at the oldest reply instead of the newest (KAFKA_CONSUMER_AUTO_OFFSET_RESET 'earliest'). */
  fromBeginning?: boolean;
  logger: Logger;
  /** How often the connection is checked (ms). */
  checkIntervalMs: number;
  /** How long a check may take before the connection counts as lost (ms). */
  checkTimeoutMs: number;
  backoff?: BackoffOptions;
  /** How long close() waits for a connection attempt or a shutdown in progress (ms). */
  closeTimeoutMs?: number;
}

interface Connection {
  bus: Bus;
  subscription: Subscription;
  /** Ends the supervision of this connection (a failed send, or close()). */
  lose: () => void;
  lost: Promise<void>;
  isLost: () => boolean;
}

/**
 * The REST service's Kafka connection: a producer for the requests and a private consumer of the
 * replies. Connecting is retried in the background with backoff, so the service starts while Kafka is
 * down. A connection is checked periodically; when a check or a send fails it is dropped and a new one
 * is made (the original closed and recreated its consumer and producer the same way).
 */
export class KafkaLink {
  private current: Connection | undefined;
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  private firstResolve!: () => void;
  private readonly first = new Promise<void>((resolve) => (this.firstResolve = resolve));

  constructor(private readonly options: KafkaLinkOptions) {}

  get connected(): boolean {
    return this.current !== undefined;
  }

  start(): void {
    this.running ??= this.run();
  }

  /** Resolves once connected for the first time (or the link closed). */
  firstConnection(): Promise<void> {
    return this.first;
  }

  /**
   * Sends and waits for the broker's acknowledgement up to `timeoutMs`. Throws ConnectionError when not
   * connected; any failure drops the connection so that a new one is made.
   */
  async send(topic: string, messages: Outgoing[], timeoutMs: number): Promise<void> {
    const connection = this.current;
    if (!connection) throw new ConnectionError('SC_KAFKA_UNREACHABLE', 'not connected to Kafka');
    try {
      await withTimeout(
        connection.bus.send(topic, messages),
        timeoutMs,
        `no acknowledgement from Kafka within ${timeoutMs} ms`,
      );
    } catch (err) {
      this.options.logger.error('Failed to send message to Kafka', { error: errorMessage(err) });
      connection.lose();
      throw err;
    }
  }

  async close(): Promise<void> {
    this.abort.abort();
    this.current?.lose();
    this.firstResolve();
    // An attempt still waiting for an unreachable broker finishes (and cleans up) in the background.
    await withTimeout(
      this.running ?? Promise.resolve(),
      this.options.closeTimeoutMs ?? 10_000,
      'close',
    ).catch(() => undefined);
  }

  private async run(): Promise<void> {
    const { logger } = this.options;
    const closing = this.abort.signal;
    let attempt = 0;
    while (!closing.aborted) {
      let bus: Bus | undefined;
      try {
        bus = await this.options.connect();
        if (!closing.aborted) await this.serve(bus);
        attempt = 0;
      } catch (err) {
        if (!closing.aborted) {
          logger.warning('Unable to connect to Kafka', {
            error: errorMessage(err),
            retry_in_ms: backoffDelay(attempt, this.options.backoff ?? DEFAULT_BACKOFF),
          });
        }
      }
      this.current = undefined;
      if (closing.aborted) {
        await bus?.close().catch(() => undefined);
        return;
      }
      // A bus that lost its broker may take long to close; the next one does not wait for it.
      void bus?.close().catch(() => undefined);
      await pause(backoffDelay(attempt++, this.options.backoff ?? DEFAULT_BACKOFF), closing);
    }
  }

  /** Subscribes to the replies on a fresh bus and supervises it until it is lost or the link closes. */
  private async serve(bus: Bus): Promise<void> {
    const { logger } = this.options;
    const subscription = await bus.subscribe({
      topics: [this.options.replyTopic],
      fromBeginning: this.options.fromBeginning ?? false,
      handler: this.options.onReplies,
      onError: (err) => logger.debug('Kafka consumer error', { error: errorMessage(err) }),
    });
    let isLost = false;
    let lose!: () => void;
    const lost = new Promise<void>((resolve) => {
      lose = () => {
        isLost = true;
        resolve();
      };
    });
    const connection: Connection = { bus, subscription, lose, lost, isLost: () => isLost };
    this.current = connection;
    logger.info('Connected successfully to Kafka');
    this.firstResolve();
    await this.supervise(connection);
  }

  /** Returns when the connection is lost (a failed check or send) or the link is closing. */
  private async supervise(connection: Connection): Promise<void> {
    const { logger, checkIntervalMs, checkTimeoutMs } = this.options;
    const closing = this.abort.signal;
    for (;;) {
      await Promise.race([pause(checkIntervalMs, closing), connection.lost]);
      if (closing.aborted) return;
      if (connection.isLost()) break;
      try {
        await withTimeout(connection.bus.listTopics(), checkTimeoutMs, 'Kafka did not answer');
      } catch (err) {
        logger.error('Lost connection to Kafka', { error: errorMessage(err) });
        return;
      }
    }
    logger.error('Lost connection to Kafka');
  }
}
