/**
 * Kafka topic names, as the original names them from KAFKA_TOPIC_PREFIX (the incoming topic is its own
 * setting, KAFKA_INCOMING_TOPIC). Build a topic name here, never by hand at the call site.
 */
export const topicNames = {
  /** Every crawled page (and every failure record). */
  crawledFirehose: (prefix: string) => `${prefix}.crawled_firehose`,
  /** The pages of one application, with KAFKA_APPID_TOPICS. */
  crawledApp: (prefix: string, appid: string) => `${prefix}.crawled_${appid}`,
  /** Every reply of the Redis Monitor, and the crawlers' crawl-finished announcements. */
  outboundFirehose: (prefix: string) => `${prefix}.outbound_firehose`,
  /** The replies to one application, with KAFKA_APPID_TOPICS. */
  outboundApp: (prefix: string, appid: string) => `${prefix}.outbound_${appid}`,
};
