import type { Bus } from '../../core/bus/index.js';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logging/index.js';
import type { CrawlItem } from './item.js';
import { crawlMessage } from './message.js';

interface Pending {
  topic: string;
  value: string;
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
}

const SUMMARY_OMIT = new Set(['body', 'links', 'response_headers', 'request_headers']);

/**
 * Publishes every page to `<prefix>.crawled_firehose` (and `<prefix>.crawled_<appid>` when
 * KAFKA_APPID_TOPICS). Pages are batched for up to `lingerMs`; `publish` resolves when the broker
 * acknowledged the page, which is when the crawler may end the request's lease.
 */
export class KafkaPipeline {
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: KafkaPipelineOptions) {}

  async publish(item: CrawlItem): Promise<void> {
    const { logger, spiderid, topicPrefix } = this.options;
    const summarize = () => {
      const summary: Record<string, unknown> = { logger: logger.name, spiderid };
      for (const [k, v] of Object.entries(item)) if (!SUMMARY_OMIT.has(k)) summary[k] = v;
      return summary;
    };
    // The per-page line costs a copy of the item; skip building it when DEBUG is off.
    const summary = logger.isEnabledFor('DEBUG') ? summarize() : undefined;
    const value = crawlMessage(item, { base64: this.options.base64 });
    const firehose = `${topicPrefix}.crawled_firehose`;
    try {
      if (this.options.appidTopics) {
        await Promise.all([
          this.enqueue(firehose, value),
          this.enqueue(`${topicPrefix}.crawled_${item.appid}`, value),
        ]);
      } else {
        await this.enqueue(firehose, value);
      }
    } catch (err) {
      logger.error('Failed to send page to Kafka', {
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
    await Promise.all(
      [...byTopic].map(async ([topic, list]) => {
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

  private enqueue(topic: string, value: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ topic, value, resolve, reject });
      if (this.pending.length >= (this.options.maxBatch ?? 200)) void this.flush();
      else this.timer ??= setTimeout(() => void this.flush(), this.options.lingerMs);
    });
  }
}
