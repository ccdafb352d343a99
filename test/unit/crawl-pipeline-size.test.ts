import { describe, expect, it } from 'vitest';
import { MemoryBus, type Outgoing } from '../../src/core/bus/index.js';
import type { CrawlResult } from '../../src/crawler/pipeline/item.js';
import { KafkaPipeline } from '../../src/crawler/pipeline/kafka-pipeline.js';
import {
  BATCH_OVERHEAD,
  RECORD_OVERHEAD,
  fitsRequest,
  splitByBytes,
} from '../../src/crawler/pipeline/message-size.js';
import { captureLogger } from '../support/capture-logger.js';

/** The broker's default message.max.bytes: a record batch over it is refused whole. */
const BROKER_LIMIT = 1_048_588;

/** A memory bus that refuses a send over the broker's limit, as Kafka refuses the produce request. */
class LimitedBus extends MemoryBus {
  sends: { topic: string; bytes: number; count: number }[] = [];
  refused = 0;
  override async send(topic: string, messages: Outgoing[]): Promise<void> {
    const values = messages.map((m) => (typeof m === 'string' ? m : String(m.value)));
    const bytes = BATCH_OVERHEAD + values.reduce((n, v) => n + RECORD_OVERHEAD + Buffer.byteLength(v), 0);
    if (bytes > BROKER_LIMIT) {
      this.refused++;
      throw new Error(`MESSAGE_TOO_LARGE: ${bytes} bytes`);
    }
    this.sends.push({ topic, bytes, count: values.length });
    return super.send(topic, messages);
  }
}

function page(i: number, bodyBytes: number): CrawlResult {
  return {
    appid: 'app',
    crawlid: 'c1',
    url: `http://big.com/${i}`,
    response_url: `http://big.com/${i}`,
    status_code: 200,
    status_msg: 'OK',
    response_headers: { 'content-type': ['text/html'] },
    request_headers: {},
    body: Buffer.alloc(bodyBytes, 'a'),
    links: [{ url: 'http://big.com/next', text: 'next' }],
    attrs: { a: 1 },
    encoding: 'utf-8',
  };
}

function pipeline(bus: MemoryBus, over: { appidTopics?: boolean; maxRequestBytes?: number } = {}) {
  const { logger, lines } = captureLogger('sc-crawler');
  const kafka = new KafkaPipeline({
    bus,
    logger,
    topicPrefix: 'p',
    appidTopics: over.appidTopics ?? false,
    base64: false,
    lingerMs: 25,
    spiderid: 'link',
    maxRequestBytes: over.maxRequestBytes ?? 1024 * 1024,
  });
  return { kafka, lines };
}

async function firehose(bus: MemoryBus, topic = 'p.crawled_firehose'): Promise<Record<string, unknown>[]> {
  const got: Record<string, unknown>[] = [];
  const sub = await bus.subscribe({
    topics: [topic],
    fromBeginning: true,
    handler: async (batch) => {
      for (const m of batch) got.push(JSON.parse(String(m.value)) as Record<string, unknown>);
    },
  });
  await new Promise((r) => setTimeout(r, 100));
  await sub.close();
  return got;
}

describe('splitByBytes', () => {
  it('cuts a batch into runs that each fit the request size, keeping order', () => {
    const sizes = [400, 400, 400, 100, 900, 50];
    const runs = splitByBytes(sizes, (n) => n, 1000);
    expect(runs.flat()).toEqual(sizes);
    for (const run of runs) {
      const total = BATCH_OVERHEAD + run.reduce((n, s) => n + RECORD_OVERHEAD + s, 0);
      expect(total <= 1000 || run.length === 1).toBe(true);
    }
    expect(runs).toEqual([[400, 400], [400, 100], [900], [50]]);
    expect(fitsRequest(1000 - BATCH_OVERHEAD - RECORD_OVERHEAD, 1000)).toBe(true);
    expect(fitsRequest(1001 - BATCH_OVERHEAD - RECORD_OVERHEAD, 1000)).toBe(false);
  });
});

describe('KafkaPipeline byte limits', () => {
  it('splits a linger batch of 300 KB pages into produce requests under KAFKA_PRODUCER_MAX_REQUEST_SIZE', async () => {
    const bus = new LimitedBus();
    const { kafka } = pipeline(bus);
    const outcomes = await Promise.all(Array.from({ length: 12 }, (_, i) => kafka.publish(page(i, 300_000))));
    expect(outcomes).toEqual(Array(12).fill('published'));
    expect(bus.refused).toBe(0);
    expect(bus.sends.length).toBeGreaterThanOrEqual(4); // at most three 300 KB pages per 1 MiB request
    for (const s of bus.sends) expect(s.bytes).toBeLessThanOrEqual(1024 * 1024);
    const got = await firehose(bus);
    expect(got.map((m) => m.url).sort()).toEqual(
      Array.from({ length: 12 }, (_, i) => `http://big.com/${i}`).sort(),
    );
    expect(got.every((m) => (m.body as string).length === 300_000)).toBe(true);
    console.log(
      'pipeline split: 12 pages of 300 KB in',
      bus.sends.length,
      'produce requests, refused',
      bus.refused,
    );
  });

  it('publishes a page too large for one request as a record without its body, flagged and sized', async () => {
    const bus = new LimitedBus();
    const { kafka, lines } = pipeline(bus, { appidTopics: true });
    const [big, small] = await Promise.all([kafka.publish(page(1, 2_000_000)), kafka.publish(page(2, 1000))]);
    expect(big).toBe('too-large');
    expect(small).toBe('published');
    expect(bus.refused).toBe(0);
    for (const topic of ['p.crawled_firehose', 'p.crawled_app']) {
      const got = await firehose(bus, topic);
      const record = got.find((m) => m.url === 'http://big.com/1')!;
      expect(record).toMatchObject({
        appid: 'app',
        crawlid: 'c1',
        status_code: 200,
        body: '',
        body_truncated: true,
        body_bytes: 2_000_000,
        links: [{ url: 'http://big.com/next', text: 'next' }],
        error: { reason: 'too-large' },
      });
      expect(String((record.error as { message: string }).message)).toMatch(
        /KAFKA_PRODUCER_MAX_REQUEST_SIZE/,
      );
      expect(Object.keys(record)).toEqual([...Object.keys(record)].sort());
      expect(got.find((m) => m.url === 'http://big.com/2')).toMatchObject({ body: 'a'.repeat(1000) });
    }
    expect(lines.some((l) => l.message.startsWith('Page too large for a Kafka message'))).toBe(true);
  });

  it('sends a page of any size whole when the limit is raised', async () => {
    const bus = new MemoryBus();
    const { kafka } = pipeline(bus, { maxRequestBytes: 8 * 1024 * 1024 });
    expect(await kafka.publish(page(1, 2_000_000))).toBe('published');
    const [record] = await firehose(bus);
    expect((record!.body as string).length).toBe(2_000_000);
    expect(record!.body_truncated).toBeUndefined();
  });
});
