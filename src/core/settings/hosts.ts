/** Splits a comma-separated host list ("h1:9092, h2:9092") into trimmed, non-empty entries. */
export function splitHosts(hosts: string | readonly string[]): string[] {
  const parts = typeof hosts === 'string' ? hosts.split(',') : hosts;
  return parts.map((part) => part.trim()).filter((part) => part.length > 0);
}

/** The Kafka bootstrap brokers from KAFKA_HOSTS. */
export function kafkaBrokers(settings: { readonly KAFKA_HOSTS: string | readonly string[] }): string[] {
  return splitHosts(settings.KAFKA_HOSTS);
}
