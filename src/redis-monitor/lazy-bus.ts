import type { Bus, Outgoing, SubscribeOptions, Subscription } from '../core/bus/index.js';

/**
 * A bus that connects on first use and again after a failed connect, so the Redis Monitor starts (and
 * keeps expiring crawls) while Kafka is away; sends fail until Kafka answers.
 */
export class LazyBus implements Bus {
  readonly kind = 'kafka' as const;
  private bus: Promise<Bus> | undefined;
  private closed = false;

  constructor(private readonly connect: () => Promise<Bus>) {}

  private get(): Promise<Bus> {
    if (this.closed) return Promise.reject(new Error('The bus is closed'));
    if (!this.bus) {
      const pending = this.connect();
      pending.catch(() => {
        if (this.bus === pending) this.bus = undefined;
      });
      this.bus = pending;
    }
    return this.bus;
  }

  async send(topic: string, messages: Outgoing[]): Promise<void> {
    await (await this.get()).send(topic, messages);
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    return (await this.get()).subscribe(options);
  }

  async listTopics(): Promise<string[]> {
    return (await this.get()).listTopics();
  }

  async createTopics(topics: string[], partitions?: number): Promise<void> {
    await (await this.get()).createTopics(topics, partitions);
  }

  async close(): Promise<void> {
    this.closed = true;
    const bus = this.bus;
    this.bus = undefined;
    if (bus)
      await bus.then(
        (b) => b.close(),
        () => undefined,
      );
  }
}
