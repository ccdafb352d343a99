import { KafkaBus } from './kafka-bus.js';
import type { Bus } from './types.js';

/** `KAFKA_HOSTS` may be a comma string (`'h1:9092, h2:9092'`) or a list, as in the original. */
export function kafkaBrokerList(hosts: string | string[]): string[] {
  const list = Array.isArray(hosts) ? hosts : hosts.split(',');
  return list.map((h) => h.trim()).filter((h) => h.length > 0);
}

/** Connects to the Kafka named by `KAFKA_HOSTS`; throws ConnectionError with a readable message. */
export async function connectBus(
  settings: { KAFKA_HOSTS: string | string[] },
  options: { clientId?: string; timeoutMs?: number } = {},
): Promise<Bus> {
  return KafkaBus.connect({ brokers: kafkaBrokerList(settings.KAFKA_HOSTS), ...options });
}
