import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import {
  Admin,
  Consumer,
  MessagesStreamModes,
  Producer,
  stringDeserializers,
  stringSerializers,
} from '@platformatic/kafka';
import { createClient } from 'redis';
import { describe, expect, it } from 'vitest';
import { servicesEnv } from '../support/services.js';

/** Sends a ZooKeeper four-letter word and returns the whole answer (the server closes after it). */
function fourLetterWord(hostPort: string, word: string): Promise<string> {
  const [host, port] = hostPort.split('/')[0]!.split(',')[0]!.split(':');
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = connect({ host: host!, port: Number(port ?? 2181) }, () => socket.write(word));
    socket.setTimeout(5000, () => socket.destroy(new Error(`no answer to ${word}`)));
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('utf8')));
    socket.once('end', () => resolve(answer));
    socket.once('error', reject);
  });
}

describe('service harness', () => {
  it('provides a Redis that answers PING', async () => {
    const env = servicesEnv();
    const client = createClient({ socket: { host: env.REDIS_HOST, port: env.REDIS_PORT } });
    await client.connect();
    try {
      expect(await client.ping()).toBe('PONG');
    } finally {
      client.destroy();
    }
  });

  it('provides a ZooKeeper that answers ruok with imok', async () => {
    expect(await fourLetterWord(servicesEnv().ZOOKEEPER_HOSTS, 'ruok')).toBe('imok');
  });

  it('provides a Kafka that round-trips a message through a new topic', async () => {
    const brokers = servicesEnv().KAFKA_HOSTS.split(',');
    const topic = `services-test-${randomUUID()}`;
    const value = `hello ${randomUUID()}`;

    const admin = new Admin({ clientId: 'services-test', bootstrapBrokers: brokers });
    const producer = new Producer({
      clientId: 'services-test',
      bootstrapBrokers: brokers,
      serializers: stringSerializers,
    });
    const consumer = new Consumer({
      clientId: 'services-test',
      groupId: `services-test-${randomUUID()}`,
      bootstrapBrokers: brokers,
      deserializers: stringDeserializers,
      maxWaitTime: 500,
    });
    try {
      await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 });
      // A new topic reaches the broker's metadata a moment after CreateTopics answers (KRaft).
      await expect.poll(() => admin.listTopics(), { timeout: 10_000, interval: 200 }).toContain(topic);
      await producer.send({ messages: [{ topic, key: 'k', value }] });

      const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST });
      try {
        for await (const message of stream) {
          expect(message.topic).toBe(topic);
          expect(message.key).toBe('k');
          expect(message.value).toBe(value);
          break;
        }
      } finally {
        await stream.close();
      }
    } finally {
      await Promise.allSettled([consumer.close(), producer.close(), admin.close()]);
    }
  });
});
