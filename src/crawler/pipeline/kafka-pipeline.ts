import type { Bus } from '../../core/bus/index.js';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logging/index.js';
import type { CrawlResult } from './item.js';
import { crawlMessage } from './message.js';
import { fitsRequest, splitByBytes, tooLargeItem } from './message-size.js';
import { topicNames } from '../../core/wire/topics.js';

interface Pending {
  topic: string;
  value: string;
  bytes: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

export interface KafkaPipelineOptions {
  bus: Bus;
  logger: Logger;
  topicPrefix: string;
  appidTopics: boolean;
  base64: boolean;
  /** Longest wait before a batch is sent (KAFKA_PRODUCER_BATCH_LINGER_MS). */
  lingerMs: number;
  spiderid: string;
  maxBatch?: number;
  /**
   * Largest produce request, record overhead included (KAFKA_PRODUCER_MAX_REQUEST_SIZE): batches are split
   * to stay under it, and a page whose message alone is larger is published without its body.
   */
  maxRequestBytes?: number;
}

/** What became of a published item: sent whole, or sent without its body because it was too large. */
export type PublishOutcome = 'published' | 'too-large';

const SUMMARY_OMIT = new Set(['body', 'links', 'response_headers', 'request_headers']);
const DEFAULT_MAX_REQUEST_BYTES = 1024 * 1024;

/**
 * Publishes every page to `<prefix>.crawled_firehose` (and `<prefix>.crawled_<appid>` when
 * KAFKA_APPID_TOPICS). Pages are batched for up to `lingerMs`; `publish` resolves when the broker
 * acknowledged the page, which is when the crawler may end the request's lease.
 */
export class KafkaPipeline {
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly maxRequestBytes: number;

  constructor(private readonly options: KafkaPipelineOptions) {
    this.maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
  }

  async publish(item: CrawlResult): Promise<PublishOutcome> {
    const { logger, spiderid, topicPrefix } = this.options;
    const summarize = () => {
      const summary: Record<string, unknown> = { logger: logger.name, spiderid };
      for (const [k, v] of Object.entries(item)) if (!SUMMARY_OMIT.has(k)) summary[k] = v;
      return summary;
    };
    // The per-page line costs a copy of the item; skip building it when DEBUG is off.
    const summary = logger.isEnabledFor('DEBUG') ? summarize() : undefined;
    const { value, outcome } = this.message(item);
    const bytes = Buffer.byteLength(value);
    const firehose = topicNames.crawledFirehose(topicPrefix);
    try {
      if (this.options.appidTopics) {
        await Promise.all([
          this.enqueue(firehose, value, bytes),
          this.enqueue(topicNames.crawledApp(topicPrefix, item.appid), value, bytes),
        ]);
      } else {
        await this.enqueue(firehose, value, bytes);
      }
    } catch (err) {
      // DEBUG: the engine retries the page and reports a Kafka outage once, not once per page and try.
      logger.debug('Failed to send page to Kafka', {
        ...(summary ?? summarize()),
        action: 'ack',
        success: false,
        exception: errorMessage(err),
      });
      throw err;
    }
    // One DEBUG line per page (the original wrote two INFO lines); the progress line sums them up.
    if (summary)
      logger.debug(`Sent page to Kafka: ${item.url}`, { ...summary, action: 'ack', success: true });
    return outcome;
  }

  /**
   * The item's message, or, when it cannot fit in one produce request (or is too long for a string at
   * all), the message of its too-large record: the page's metadata without the body.
   */
  private message(item: CrawlResult): { value: string; outcome: PublishOutcome } {
    const base64 = this.options.base64;
    let size: number | undefined;
    try {
      const value = crawlMessage(item, { base64 });
      size = Buffer.byteLength(value);
      if (fitsRequest(size, this.maxRequestBytes)) return { value, outcome: 'published' };
    } catch (err) {
      // A body over V8's string limit cannot even become a message (ERR_STRING_TOO_LONG, RangeError).
      if (!(err instanceof RangeError) && (err as { code?: unknown }).code !== 'ERR_STRING_TOO_LONG')
        throw err;
    }
    const record = tooLargeItem(item, size, this.maxRequestBytes);
    this.options.logger.warning('Page too large for a Kafka message; published without its body', {
      url: item.url,
      crawlid: item.crawlid,
      message_bytes: size ?? null,
      max_request_size: this.maxRequestBytes,
    });
    let value = crawlMessage(record, { base64 });
    if (!fitsRequest(Buffer.byteLength(value), this.maxRequestBytes)) {
      // Headers or links alone too large: keep only what identifies the page.
      value = crawlMessage(
        { ...record, links: [], response_headers: {}, request_headers: {}, attrs: null },
        { base64 },
      );
    }
    return { value, outcome: 'too-large' };
  }

  /** Sends whatever is waiting now. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    const byTopic = new Map<string, Pending[]>();
    for (const p of batch) {
      let list = byTopic.get(p.topic);
      if (!list) byTopic.set(p.topic, (list = []));
      list.push(p);
    }
    const requests: [string, Pending[]][] = [];
    for (const [topic, list] of byTopic) {
      for (const part of splitByBytes(list, (p) => p.bytes, this.maxRequestBytes))
        requests.push([topic, part]);
    }
    await Promise.all(
      requests.map(async ([topic, list]) => {
        try {
          await this.options.bus.send(
            topic,
            list.map((p) => p.value),
          );
          for (const p of list) p.resolve();
        } catch (err) {
          for (const p of list) p.reject(err instanceof Error ? err : new Error(String(err)));
        }
      }),
    );
  }

  private enqueue(topic: string, value: string, bytes: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ topic, value, bytes, resolve, reject });
      if (this.pending.length >= (this.options.maxBatch ?? 200)) void this.flush();
      else this.timer ??= setTimeout(() => void this.flush(), this.options.lingerMs);
    });
  }
}
