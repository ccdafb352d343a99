/** kafkadump's rendering of records (-nb, -jb, -p, -d, raw text) and its summary line, without Kafka. */
import { describe, expect, it } from 'vitest';
import { MemoryBus, type BusMessage } from '../../src/core/bus/index.js';
import { DumpTally, dumpTopic, listTopics, renderRecord } from '../../src/kafka-monitor/kafkadump.js';

const crawled = {
  url: 'http://example.com/',
  appid: 'testapp',
  crawlid: 'abc123',
  status_code: 200,
  body: '<html>hi</html>',
  links: [],
  attrs: null,
};
const text = JSON.stringify(crawled);

function message(value: string): BusMessage {
  return { topic: 't', partition: 0, offset: 0n, key: null, value, timestamp: 0 };
}

describe('renderRecord', () => {
  it('prints a JSON object as one compact, valid JSON document by default', () => {
    const out = renderRecord(text, {});
    expect(out).not.toContain('\n');
    expect(JSON.parse(out)).toEqual(crawled);
  });

  it('--pretty indents with four spaces', () => {
    const out = renderRecord(text, { pretty: true });
    expect(out).toBe(JSON.stringify(crawled, null, 4));
    expect(out.split('\n')[1]).toBe('    "url": "http://example.com/",');
  });

  it('--no-body drops the body and keeps everything else in order', () => {
    const out = JSON.parse(renderRecord(text, { noBody: true })) as Record<string, unknown>;
    const { body: _body, ...rest } = crawled;
    expect(out).toEqual(rest);
    expect(Object.keys(out)).toEqual(Object.keys(rest));
  });

  it('--no-body on a record without a body leaves it unchanged', () => {
    const request = JSON.stringify({ url: 'http://a.com', appid: 'app', crawlid: 'c' });
    expect(renderRecord(request, { noBody: true })).toBe(request);
  });

  it('--just-body prints the body alone, verbatim', () => {
    expect(renderRecord(text, { justBody: true })).toBe('<html>hi</html>');
    expect(renderRecord(JSON.stringify({ body: { a: 1 } }), { justBody: true })).toBe('{"a":1}');
    expect(renderRecord(JSON.stringify({ url: 'u' }), { justBody: true })).toBe('null');
  });

  it('--decode-base64 decodes a UTF-8 body (the default encoding)', () => {
    const body = 'Ünïcödé — 日本語';
    const record = JSON.stringify({ ...crawled, body: Buffer.from(body, 'utf8').toString('base64') });
    expect(JSON.parse(renderRecord(record, { decodeBase64: true }))).toEqual({ ...crawled, body });
    expect(renderRecord(record, { decodeBase64: true, justBody: true })).toBe(body);
  });

  it('--decode-base64 uses the record encoding, e.g. an ISO-8859-7 (Greek) body', () => {
    // "Καλημέρα" in ISO-8859-7: one byte per letter, not valid UTF-8.
    const bytes = Buffer.from([0xca, 0xe1, 0xeb, 0xe7, 0xec, 0xdd, 0xf1, 0xe1]);
    const record = JSON.stringify({ ...crawled, encoding: 'ISO-8859-7', body: bytes.toString('base64') });
    expect(renderRecord(record, { decodeBase64: true, justBody: true })).toBe('Καλημέρα');
    const rendered = JSON.parse(renderRecord(record, { decodeBase64: true, pretty: true })) as Record<
      string,
      unknown
    >;
    expect(rendered).toMatchObject({ body: 'Καλημέρα', encoding: 'ISO-8859-7' });
    // Without -d the base64 text is printed as it came.
    expect(renderRecord(record, { justBody: true })).toBe(bytes.toString('base64'));
  });

  it('--decode-base64 with an encoding the runtime does not know falls back to UTF-8', () => {
    const record = JSON.stringify({
      encoding: 'x-no-such-charset',
      body: Buffer.from('plain').toString('base64'),
    });
    expect(renderRecord(record, { decodeBase64: true, justBody: true })).toBe('plain');
  });

  it('prints anything that is not a JSON object raw', () => {
    for (const raw of ['not json at all', '{"broken": ', '[1,2,3]', '"a string"', '42', 'null'])
      expect(renderRecord(raw, { pretty: true, noBody: true })).toBe(raw);
  });
});

describe('DumpTally', () => {
  it('sums message sizes in bytes, not characters', () => {
    const tally = new DumpTally();
    for (let i = 0; i < 1024; i++) tally.add(message('x'.repeat(1024)));
    expect(tally.summary()).toBe('Num Records: 1024, Total MBs: 1.000, kb per message: 1.000');

    const multibyte = new DumpTally();
    multibyte.add(message('é'.repeat(512))); // 1024 bytes
    multibyte.add(message('a'.repeat(2048)));
    // 3072 bytes: 3072 / 2^20 MB, 1.5 kB per message
    expect(multibyte.records).toBe(2);
    expect(multibyte.bytes).toBe(3072);
    expect(multibyte.summary()).toBe(
      `Num Records: 2, Total MBs: ${(3072 / 1048576).toFixed(3)}, kb per message: 1.500`,
    );
  });

  it('reports zeros when nothing was read', () => {
    expect(new DumpTally().summary()).toBe('Num Records: 0, Total MBs: 0.000, kb per message: 0.000');
  });
});

describe('dumpTopic', () => {
  it('prints each record from the beginning until stopped, and tallies them', async () => {
    const bus = new MemoryBus();
    const records = [text, 'raw line', JSON.stringify({ body: 'b', n: 1 })];
    await bus.send('demo.crawled_firehose', records);
    const lines: string[] = [];
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const tally = await dumpTopic(
      bus,
      { topic: 'demo.crawled_firehose', fromBeginning: true, noBody: true },
      (line) => {
        lines.push(line);
        if (lines.length === records.length) stop();
      },
      stopped,
    );
    expect(lines).toEqual([renderRecord(text, { noBody: true }), 'raw line', '{"n":1}']);
    expect(tally.records).toBe(3);
    expect(tally.bytes).toBe(records.reduce((n, r) => n + Buffer.byteLength(r), 0));
    expect(await listTopics(bus)).toContain('demo.crawled_firehose');
    await bus.close();
  });
});
