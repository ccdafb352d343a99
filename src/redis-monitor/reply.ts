import type { Bus } from '../core/bus/index.js';
import { errorMessage } from '../core/errors.js';
import { topicNames } from '../core/wire/topics.js';

/**
 * A reply could not be delivered to Kafka. The main loop leaves the job in Redis for a later pass and
 * backs off; it does not count against the job's failure limit (Kafka being down is not the job's fault).
 */
export class DeliveryError extends Error {
  constructor(
    readonly topic: string,
    cause: unknown,
  ) {
    super(`Cannot send to Kafka topic ${topic}: ${errorMessage(cause)}`, { cause });
    this.name = 'DeliveryError';
  }
}

export interface ReplySettings {
  KAFKA_TOPIC_PREFIX: string;
  KAFKA_APPID_TOPICS: boolean;
}

/** The topics a reply goes to, in sending order (the original sends the appid copy first). */
export function replyTopics(settings: ReplySettings, message: Readonly<Record<string, unknown>>): string[] {
  const topics: string[] = [];
  const appid = message.appid;
  if (settings.KAFKA_APPID_TOPICS && (typeof appid === 'string' || typeof appid === 'number')) {
    topics.push(topicNames.outboundApp(settings.KAFKA_TOPIC_PREFIX, String(appid)));
  }
  topics.push(topicNames.outboundFirehose(settings.KAFKA_TOPIC_PREFIX));
  return topics;
}

/**
 * Publishes plugin replies as JSON to `<prefix>.outbound_firehose` and, with KAFKA_APPID_TOPICS, first to
 * `<prefix>.outbound_<appid>` (the original's KafkaBaseMonitor._send_to_kafka). Each send is acknowledged
 * by the broker; a failure throws DeliveryError.
 */
export class KafkaReplier {
  constructor(
    private readonly bus: Bus,
    private readonly settings: ReplySettings,
  ) {}

  async send(message: Readonly<Record<string, unknown>>): Promise<void> {
    const value = JSON.stringify(message);
    for (const topic of replyTopics(this.settings, message)) {
      try {
        await this.bus.send(topic, [value]);
      } catch (err) {
        throw new DeliveryError(topic, err);
      }
    }
  }
}
