import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../../src/core/bus/index.js';
import type { CrawlResult } from '../../src/crawler/pipeline/item.js';
import { KafkaPipeline } from '../../src/crawler/pipeline/kafka-pipeline.js';
import { crawlMessage, pythonUtcIso } from '../../src/crawler/pipeline/message.js';
import { captureLogger } from '../support/capture-logger.js';

function item(overrides: Partial<CrawlResult> = {}): CrawlResult {
  return {
    appid: 'app',
    crawlid: 'crawlid',
    url: 'http://dumb.com',
    response_url: 'http://dumb.com',
    status_code: 200,
    status_msg: 'OK',
    response_headers: {},
    request_headers: {},
    body: 'text',
    links: [],
    attrs: {},
    encoding: 'utf-8',
    ...overrides,
  };
}

const at = new Date('2016-01-05T20:14:54.653Z');

describe('crawl message', () => {
  it('has the original keys, sorted, with a Python-style UTC timestamp', () => {
    const text = crawlMessage(item(), { base64: false, now: at });
    expect(
      text.startsWith(
        '{"appid":"app","attrs":{},"body":"text","crawlid":"crawlid","encoding":"utf-8","links":[],',
      ),
    ).toBe(true);
    expect(Object.keys(JSON.parse(text) as object)).toEqual([
      'appid',
      'attrs',
      'body',
      'crawlid',
      'encoding',
      'links',
      'request_headers',
      'response_headers',
      'response_url',
      'status_code',
      'status_msg',
      'timestamp',
      'url',
    ]);
    expect(JSON.parse(text)).toMatchObject({
      timestamp: '2016-01-05T20:14:54.653000',
      url: 'http://dumb.com',
    });
    expect(pythonUtcIso(new Date('2016-01-05T20:14:54.000Z'))).toBe('2016-01-05T20:14:54');
  });

  it('base64-encodes the raw bytes when KAFKA_BASE_64_ENCODE is on', () => {
    expect(JSON.parse(crawlMessage(item(), { base64: true, now: at })).body).toBe('dGV4dA==');
    const greek = Buffer.from([0xe1, 0xe2, 0xe3]); // "αβγ" in ISO-8859-7
    const encoded = JSON.parse(
      crawlMessage(item({ body: greek, encoding: 'iso-8859-7' }), { base64: true, now: at }),
    );
    expect(Buffer.from(encoded.body as string, 'base64')).toEqual(greek);
    expect(encoded.encoding).toBe('iso-8859-7');
  });

  it('decodes a body with its encoding, and sends bytes invalid in it as flagged base64', () => {
    const greek = Buffer.from([0xe1, 0xe2, 0xe3]);
    expect(
      JSON.parse(crawlMessage(item({ body: greek, encoding: 'iso-8859-7' }), { base64: false })).body,
    ).toBe('αβγ');
    const broken = Buffer.from([0x61, 0xff, 0xfe, 0x62]);
    const message = JSON.parse(crawlMessage(item({ body: broken }), { base64: false }));
    expect(message).toMatchObject({ body: broken.toString('base64'), body_base64: true });
  });

  it('publishes to the firehose and the appid topic and logs both lines', async () => {
    const bus = new MemoryBus();
    const { logger, lines } = captureLogger('sc-crawler');
    const pipeline = new KafkaPipeline({
      bus,
      logger,
      topicPrefix: 'demo',
      appidTopics: true,
      base64: false,
      lingerMs: 5,
      spiderid: 'link',
    });
    await Promise.all([pipeline.publish(item()), pipeline.publish(item({ url: 'http://two.com' }))]);
    const got: string[] = [];
    const sub = await bus.subscribe({
      topics: ['demo.crawled_firehose', 'demo.crawled_app'],
      fromBeginning: true,
      handler: async (m) => void got.push(...m.map((x) => x.topic)),
    });
    await new Promise((r) => setTimeout(r, 50));
    await sub.close();
    expect(got.sort()).toEqual([
      'demo.crawled_app',
      'demo.crawled_app',
      'demo.crawled_firehose',
      'demo.crawled_firehose',
    ]);
    // One DEBUG line per page, naming its URL.
    const perPage = lines.filter((l) => String(l.message).startsWith('Sent page to Kafka: '));
    expect(perPage.map((l) => l.message).sort()).toEqual([
      'Sent page to Kafka: http://dumb.com',
      'Sent page to Kafka: http://two.com',
    ]);
    const sent = perPage[0]!;
    expect(sent).toMatchObject({
      level: 'DEBUG',
      action: 'ack',
      success: true,
      spiderid: 'link',
      appid: 'app',
    });
    expect(sent.body).toBeUndefined();
  });
});
