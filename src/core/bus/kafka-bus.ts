import { randomUUID } from 'node:crypto';
import {
  Admin,
  Consumer,
  Producer,
  stringDeserializers,
  stringSerializers,
  type Message,
} from '@platformatic/kafka';
import { BatchLoop } from './batch-loop.js';
import {
  normaliseOutgoing,
  type Bus,
  type BusMessage,
  type Outgoing,
  type SubscribeOptions,
  type Subscription,
} from './types.js';
import { ConnectionError, errorMessage } from '../errors.js';
import { pause as sleep } from '../backoff.js';

export interface KafkaBusOptions {
  brokers: string[];
  clientId?: string;
  /** How long connecting and each produce may take before failing (ms). */
  timeoutMs?: number;
  /** Longest time a fetch waits for new records (ms); bounds consume latency. */
  maxWaitMs?: number;
}

type RawMessage = Message<string, string, string, string>;
const RAW = Symbol('raw');
type Tracked = BusMessage & { [RAW]: RawMessage };

function commitRaw(raw: RawMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    void raw.commit((err?: Error) => (err ? reject(err) : resolve()));
  });
}

/** The production bus on Apache Kafka through @platformatic/kafka. */
export class KafkaBus implements Bus {
  readonly kind = 'kafka' as const;
  private producer: Producer<string, string, string, string> | undefined;
  private readonly subscriptions = new Set<Subscription>();

  private constructor(
    private readonly options: Required<KafkaBusOptions>,
    private readonly admin: Admin,
  ) {}

  static async connect(options: KafkaBusOptions): Promise<KafkaBus> {
    const full: Required<KafkaBusOptions> = {
      clientId: options.clientId ?? 'scrapy-cluster',
      timeoutMs: options.timeoutMs ?? 10_000,
      maxWaitMs: options.maxWaitMs ?? 200,
      brokers: options.brokers,
    };
    const admin = new Admin({
      clientId: `${full.clientId}-admin`,
      bootstrapBrokers: full.brokers,
      timeout: full.timeoutMs,
      retries: 1,
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        admin.listTopics(),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${full.timeoutMs} ms`)),
            full.timeoutMs,
          );
        }),
      ]);
    } catch (err) {
      await admin.close().catch(() => undefined);
      throw new ConnectionError(
        'SC_KAFKA_UNREACHABLE',
        `Cannot reach Kafka at ${full.brokers.join(',')}: ${errorMessage(err)}`,
        { cause: err },
      );
    } finally {
      clearTimeout(timer);
    }
    return new KafkaBus(full, admin);
  }

  async send(topic: string, messages: Outgoing[]): Promise<void> {
    if (messages.length === 0) return;
    const producer = (this.producer ??= new Producer({
      clientId: `${this.options.clientId}-producer`,
      bootstrapBrokers: this.options.brokers,
      serializers: stringSerializers,
      timeout: this.options.timeoutMs,
      retries: 3,
      acks: -1,
      autocreateTopics: true,
    }));
    try {
      await producer.send({
        messages: messages.map((m) => {
          const { key, value } = normaliseOutgoing(m);
          return key === null ? { topic, value } : { topic, key, value };
        }),
      });
    } catch (err) {
      // A producer that lost the broker may keep stale connections and metadata: the next send starts
      // from a fresh one, so sending works again as soon as the broker is back.
      if (this.producer === producer) this.producer = undefined;
      void producer.close().catch(() => undefined);
      throw err;
    }
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const groupId = options.groupId ?? `${this.options.clientId}-private-${randomUUID()}`;
    const onError = options.onError ?? (() => undefined);
    const onConnectionChange = options.onConnectionChange ?? (() => undefined);
    const maxBatch = options.maxBatch ?? 500;
    let consumer: Consumer<string, string, string, string> | undefined;
    let stream: Awaited<ReturnType<Consumer<string, string, string, string>['consume']>> | undefined;
    let closing = false;
    let connected = false;
    let reconnecting: Promise<void> | undefined;

    const loop = new BatchLoop({
      maxBatch,
      handler: options.handler,
      onError,
      acknowledge: async (batch) => {
        // Committing the last record of each partition covers the records before it.
        const last = new Map<string, Tracked>();
        for (const m of batch as Tracked[]) last.set(`${m.topic}:${m.partition}`, m);
        await Promise.all([...last.values()].map((m) => commitRaw(m[RAW])));
      },
      onDrain: () => {
        if (stream?.isPaused()) stream.resume();
      },
    });

    const closeConsumer = async (): Promise<void> => {
      const [oldStream, oldConsumer] = [stream, consumer];
      stream = undefined;
      consumer = undefined;
      await oldStream?.close().catch(() => undefined);
      if (oldConsumer) await new Promise<void>((resolve) => oldConsumer.close(true, () => resolve()));
    };

    /** Creates a consumer and its stream; throws when the broker cannot be reached. */
    const start = async (): Promise<void> => {
      const created = new Consumer({
        groupId,
        clientId: `${this.options.clientId}-consumer`,
        bootstrapBrokers: this.options.brokers,
        deserializers: stringDeserializers,
        timeout: this.options.timeoutMs,
        sessionTimeout: 10_000,
        heartbeatInterval: 1_000,
        rebalanceTimeout: 10_000,
        autocreateTopics: true,
      });
      consumer = created;
      created.on('error', (err: Error) => {
        // While reconnecting the old consumer's complaints are expected and already reported once.
        if (connected && consumer === created) onError(err);
      });
      let timer: NodeJS.Timeout | undefined;
      const s = await Promise.race([
        created.consume({
          topics: options.topics,
          mode: 'committed',
          fallbackMode: options.fromBeginning ? 'earliest' : 'latest',
          autocommit: false,
          maxWaitTime: this.options.maxWaitMs,
        }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`joining the group took over ${this.options.timeoutMs * 3} ms`)),
            this.options.timeoutMs * 3,
          );
        }),
      ]).finally(() => clearTimeout(timer));
      if (closing || consumer !== created) {
        await s.close().catch(() => undefined);
        throw new Error('subscription closed while connecting');
      }
      stream = s;
      s.on('data', (raw: RawMessage) => {
        const message: Tracked = {
          topic: raw.topic,
          partition: raw.partition,
          offset: raw.offset,
          key: raw.key === undefined || raw.key === null || raw.key === '' ? null : raw.key,
          value: raw.value ?? '',
          timestamp: Number(raw.timestamp),
          [RAW]: raw,
        };
        loop.push(message);
        if (loop.buffered >= maxBatch * 4) s.pause();
      });
      // The stream ends for good after its own fetch retries (a few seconds without the broker); the
      // subscription then re-creates the consumer, for as long as it takes.
      s.on('error', (err: Error) => lost(s, err));
      s.on('close', () => lost(s, new Error('the consume stream closed')));
      connected = true;
    };

    const lost = (dead: unknown, cause: Error): void => {
      if (closing || dead !== stream || reconnecting) return;
      connected = false;
      onConnectionChange(false, cause);
      reconnecting = reconnect().finally(() => (reconnecting = undefined));
    };

    const reconnect = async (): Promise<void> => {
      let attempt = 0;
      while (!closing) {
        await closeConsumer();
        // Records buffered but not handled yet come again from the committed offsets.
        loop.discard();
        // Exponential backoff with full jitter, at most 10 s, so many consumers do not reconnect in step.
        const delay = Math.random() * Math.min(250 * 2 ** attempt++, 10_000);
        await sleep(delay);
        if (closing) return;
        try {
          await start();
          onConnectionChange(true);
          return;
        } catch {
          // Still unreachable: the loss was reported once; keep trying.
        }
      }
    };

    const ready = start();
    const subscription: Subscription = {
      ready,
      healthy: () => connected,
      close: async () => {
        closing = true;
        connected = false;
        this.subscriptions.delete(subscription);
        await loop.stop();
        await ready.catch(() => undefined);
        // A reconnect in progress sees `closing` and stops; closing its consumer now (rather than
        // waiting for its join to time out) keeps shutdown quick while the broker is away.
        await closeConsumer();
        await reconnecting?.then(closeConsumer);
      },
    };
    this.subscriptions.add(subscription);
    try {
      await ready;
    } catch (err) {
      await subscription.close();
      throw new ConnectionError(
        'SC_KAFKA_UNREACHABLE',
        `Cannot consume ${options.topics.join(',')}: ${errorMessage(err)}`,
        {
          cause: err,
        },
      );
    }
    return subscription;
  }

  async listTopics(): Promise<string[]> {
    return (await this.admin.listTopics()).filter((t) => !t.startsWith('__'));
  }

  async createTopics(topics: string[], partitions = 1): Promise<void> {
    const existing = new Set(await this.admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length === 0) return;
    await this.admin.createTopics({ topics: missing, partitions, replicas: 1 });
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    await this.producer?.close().catch(() => undefined);
    await this.admin.close().catch(() => undefined);
  }
}
