import type { Bus } from '../core/bus/index.js';
import { TimeoutError, errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logging/index.js';
import { withTimeout } from '../core/method-timer.js';

/** What a file of requests came to: lines sent to Kafka, lines refused, blank lines skipped. */
export interface FeedFileTally {
  sent: number;
  failed: number;
  blank: number;
}

/**
 * Feeds one JSON request per line (`kafka-monitor feed --file`): each line is parsed and checked with the
 * Kafka Monitor's own validator and reported on its own (`line N: ok`, or `line N: error: <cause>`); a bad
 * line does not stop the others. Valid requests are sent in batches of `batchSize` over one connection,
 * each batch waiting for the broker's acknowledgement, so memory stays bounded whatever the file's size.
 */
export async function feedLines(options: {
  lines: AsyncIterable<string>;
  topic: string;
  timeoutSeconds: number;
  logger: Logger;
  connect: () => Promise<Bus>;
  validate: (item: unknown) => { ok: true } | { ok: false; cause: string };
  report: (line: string) => void;
  batchSize?: number;
}): Promise<FeedFileTally> {
  const { report, logger } = options;
  const batchSize = options.batchSize ?? 500;
  const tally: FeedFileTally = { sent: 0, failed: 0, blank: 0 };
  let bus: Bus | undefined;
  let batch: { line: number; value: string }[] = [];

  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const pending = batch;
    batch = [];
    const sent = await withTimeout(
      async (signal) => {
        bus ??= await options.connect();
        if (!signal.aborted)
          await bus.send(
            options.topic,
            pending.map((p) => p.value),
          );
        return !signal.aborted;
      },
      options.timeoutSeconds,
      false,
    );
    if (!sent) throw new TimeoutError(`Kafka did not acknowledge within ${options.timeoutSeconds} s`);
    for (const p of pending) report(`line ${p.line}: ok`);
    tally.sent += pending.length;
  };

  try {
    let number = 0;
    for await (const raw of options.lines) {
      number++;
      const text = raw.trim();
      if (text === '') {
        tally.blank++;
        continue;
      }
      let item: unknown;
      try {
        item = JSON.parse(text);
      } catch (err) {
        report(`line ${number}: error: JSON failed to parse: ${errorMessage(err)}`);
        tally.failed++;
        continue;
      }
      const verdict = options.validate(item);
      if (!verdict.ok) {
        report(`line ${number}: error: ${verdict.cause}`);
        tally.failed++;
        continue;
      }
      batch.push({ line: number, value: JSON.stringify(item) });
      if (batch.length >= batchSize) await flush();
    }
    await flush();
  } catch (err) {
    // Kafka failed mid-file: the lines of the batch in flight (and the rest) are not known to be fed.
    logger.error('Failed to feed items into Kafka', { error: errorMessage(err), sent: tally.sent });
    throw err;
  } finally {
    await bus?.close().catch(() => undefined);
  }
  logger.info('Fed file into Kafka', { topic: options.topic, ...tally });
  return tally;
}
