import { describe, expect, it } from 'vitest';
import { freePort } from '../support/cli-process.js';
import { KafkaBus, kafkaBrokerList } from '../../src/core/bus/index.js';
import { ConnectionError } from '../../src/core/errors.js';

describe('KafkaBus.connect', () => {
  it('fails with a readable ConnectionError when no broker answers', async () => {
    const port = await freePort();
    const err = await KafkaBus.connect({ brokers: [`127.0.0.1:${port}`], timeoutMs: 2000 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).code).toBe('SC_KAFKA_UNREACHABLE');
    expect((err as Error).message).toContain(`Cannot reach Kafka at 127.0.0.1:${port}`);
  });

  it('parses KAFKA_HOSTS as a comma string or a list', () => {
    expect(kafkaBrokerList('h1:9092, h2:9092')).toEqual(['h1:9092', 'h2:9092']);
    expect(kafkaBrokerList(['h1:9092'])).toEqual(['h1:9092']);
  });
});
