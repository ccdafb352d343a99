import { randomUUID } from 'node:crypto';
import { BatchLoop } from './batch-loop.js';
import {
  normaliseOutgoing,
  type Bus,
  type BusMessage,
  type Outgoing,
  type SubscribeOptions,
  type Subscription,
} from './types.js';
import { ClosedError } from '../errors.js';

interface Member {
  id: string;
  topics: string[];
  fromBeginning: boolean;
  /** `topic:partition` → next offset to hand out. */
  positions: Map<string, bigint>;
  loop: BatchLoop;
}

interface Group {
  committed: Map<string, bigint>;
  members: Member[];
}

function hashKey(key: string): number {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (Math.imul(h, 31) + key.charCodeAt(i)) | 0;
  return Math.abs(h);
}

/**
 * In-process topics, partitions, consumer groups and committed offsets: the broker behind MemoryBus.
 * Several MemoryBus instances may share one broker, the way several processes share one Kafka.
 */
export class MemoryBroker {
  private readonly topics = new Map<string, BusMessage[][]>();
  private readonly groups = new Map<string, Group>();
  private roundRobin = 0;

  constructor(readonly defaultPartitions = 1) {}

  topicNames(): string[] {
    return [...this.topics.keys()];
  }

  ensureTopic(topic: string, partitions = this.defaultPartitions): BusMessage[][] {
    let parts = this.topics.get(topic);
    if (!parts) {
      parts = Array.from({ length: Math.max(1, partitions) }, () => []);
      this.topics.set(topic, parts);
      // New partitions must be assigned to groups already subscribed to this topic.
      for (const group of this.groups.values())
        if (group.members.some((m) => m.topics.includes(topic))) this.rebalance(group);
    }
    return parts;
  }

  append(topic: string, messages: Outgoing[]): void {
    const parts = this.ensureTopic(topic);
    const now = Date.now();
    for (const m of messages) {
      const { key, value } = normaliseOutgoing(m);
      const partition = key === null ? this.roundRobin++ % parts.length : hashKey(key) % parts.length;
      const log = parts[partition]!;
      log.push({ topic, partition, offset: BigInt(log.length), key, value, timestamp: now });
    }
    for (const group of this.groups.values()) for (const member of group.members) this.pump(member);
  }

  join(groupId: string, member: Member): void {
    for (const t of member.topics) this.ensureTopic(t);
    let group = this.groups.get(groupId);
    if (!group) {
      group = { committed: new Map(), members: [] };
      this.groups.set(groupId, group);
    }
    group.members.push(member);
    this.rebalance(group);
  }

  leave(groupId: string, member: Member): void {
    const group = this.groups.get(groupId);
    if (!group) return;
    group.members = group.members.filter((m) => m !== member);
    this.rebalance(group);
  }

  commit(groupId: string, member: Member, batch: BusMessage[]): void {
    const group = this.groups.get(groupId);
    if (!group) return;
    for (const m of batch) {
      const tp = `${m.topic}:${m.partition}`;
      // Like a fenced Kafka commit: a member that lost the partition cannot move its offset.
      if (!member.positions.has(tp)) continue;
      const next = m.offset + 1n;
      if ((group.committed.get(tp) ?? -1n) < next) group.committed.set(tp, next);
    }
  }

  /** Round-robin assignment of every subscribed partition over the members, in join order. */
  private rebalance(group: Group): void {
    const owners = new Map<string, Member>();
    let i = 0;
    const wanted = new Set(group.members.flatMap((m) => m.topics));
    for (const topic of [...wanted].sort()) {
      const parts = this.topics.get(topic) ?? [];
      for (let p = 0; p < parts.length; p++) {
        const candidates = group.members.filter((m) => m.topics.includes(topic));
        if (candidates.length === 0) continue;
        owners.set(`${topic}:${p}`, candidates[i++ % candidates.length]!);
      }
    }
    for (const member of group.members) {
      for (const tp of [...member.positions.keys()]) {
        if (owners.get(tp) !== member) {
          member.positions.delete(tp);
          member.loop.discard((m) => `${m.topic}:${m.partition}` === tp);
        }
      }
    }
    for (const [tp, member] of owners) {
      if (member.positions.has(tp)) continue;
      const [topic, p] = [tp.slice(0, tp.lastIndexOf(':')), Number(tp.slice(tp.lastIndexOf(':') + 1))];
      const end = BigInt(this.topics.get(topic)?.[p]?.length ?? 0);
      member.positions.set(tp, group.committed.get(tp) ?? (member.fromBeginning ? 0n : end));
    }
    for (const member of group.members) this.pump(member);
  }

  private pump(member: Member): void {
    for (const [tp, position] of member.positions) {
      const sep = tp.lastIndexOf(':');
      const log = this.topics.get(tp.slice(0, sep))?.[Number(tp.slice(sep + 1))] ?? [];
      for (let o = position; o < BigInt(log.length); o++) member.loop.push(log[Number(o)]!);
      member.positions.set(tp, BigInt(log.length));
    }
  }
}

/** The bus for the embedded single-process mode and unit tests. */
export class MemoryBus implements Bus {
  readonly kind = 'memory' as const;
  private readonly subscriptions = new Set<Subscription>();
  private closed = false;

  constructor(readonly broker: MemoryBroker = new MemoryBroker()) {}

  async send(topic: string, messages: Outgoing[]): Promise<void> {
    if (this.closed) throw new ClosedError('MemoryBus');
    this.broker.append(topic, messages);
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    if (this.closed) throw new ClosedError('MemoryBus');
    const groupId = options.groupId ?? `private-${randomUUID()}`;
    const loop = new BatchLoop({
      maxBatch: options.maxBatch ?? 500,
      handler: options.handler,
      onError: options.onError ?? (() => undefined),
      // Runs only after join, when `joined` exists.
      acknowledge: async (batch) => this.broker.commit(groupId, joined, batch),
    });
    const joined: Member = {
      id: randomUUID(),
      topics: options.topics,
      fromBeginning: options.fromBeginning ?? false,
      positions: new Map(),
      loop,
    };
    this.broker.join(groupId, joined);
    const subscription: Subscription = {
      ready: Promise.resolve(),
      healthy: () => true,
      close: async () => {
        this.subscriptions.delete(subscription);
        this.broker.leave(groupId, joined);
        await loop.stop();
      },
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  async listTopics(): Promise<string[]> {
    return this.broker.topicNames();
  }

  async createTopics(topics: string[], partitions = 1): Promise<void> {
    for (const t of topics) this.broker.ensureTopic(t, partitions);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.close()));
  }
}
