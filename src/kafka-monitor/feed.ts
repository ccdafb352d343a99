import type { Bus } from '../core/bus/index.js';
import { BadInputError, TimeoutError, errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logging/index.js';
import { withTimeout } from '../core/method-timer.js';

/**
 * Produces one JSON object to the incoming topic and waits for the broker's acknowledgement (the
 * original's `kafka_monitor.py feed`). Returns normally on success; throws with a readable message
 * on bad JSON or when Kafka does not acknowledge within `timeoutSeconds`.
 */
export async function feedJson(options: {
  json: string;
  topic: string;
  timeoutSeconds: number;
  logger: Logger;
  connect: () => Promise<Bus>;
  /**
   * The Kafka Monitor's own check (its plugins' schemas): a request it would refuse is refused here,
   * with the same error, instead of being sent and reported as fed.
   */
  validate?: (item: unknown) => { ok: true } | { ok: false; cause: string };
}): Promise<void> {
  const { logger } = options;
  let item: unknown;
  try {
    item = JSON.parse(options.json);
  } catch (err) {
    logger.error('JSON failed to parse', { data: options.json, error: errorMessage(err) });
    throw new BadInputError(`JSON failed to parse: ${errorMessage(err)}`);
  }
  const verdict = options.validate?.(item);
  if (verdict && !verdict.ok) {
    logger.error('Request did not validate against any plugin schema', { data: item, error: verdict.cause });
    throw new BadInputError(`The Kafka Monitor would refuse this request: ${verdict.cause}`);
  }
  logger.info(`Feeding JSON into ${options.topic}\n${JSON.stringify(item, null, 4)}`);
  const sent = await withTimeout(
    async (signal) => {
      const bus = await options.connect();
      try {
        if (!signal.aborted) await bus.send(options.topic, [JSON.stringify(item)]);
        return !signal.aborted;
      } finally {
        await bus.close().catch(() => undefined);
      }
    },
    options.timeoutSeconds,
    false,
  ).catch((err: unknown) => {
    logger.error('Failed to feed item into Kafka', { error: errorMessage(err) });
    throw err;
  });
  if (!sent) {
    logger.error('Failed to feed item into Kafka', {
      error: `no acknowledgement within ${options.timeoutSeconds} s`,
    });
    throw new TimeoutError(`Kafka did not acknowledge the item within ${options.timeoutSeconds} s`);
  }
  logger.info('Successfully fed item to Kafka');
}
