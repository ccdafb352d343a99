import { Backoff, OutageLog, pause } from '../../core/backoff.js';
import { ConnectionError, errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logging/index.js';
import type { ItemOutcome } from '../middleware/item-pipelines.js';
import type { CrawlResult } from '../pipeline/item.js';

/**
 * Publishes the items of downloaded pages, riding out short Kafka outages while their leases are held.
 * The outage is reported once (not once per page and try); while it lasts the engine leases nothing, and
 * `answers()` tells it when Kafka takes records again.
 */
export class PatientPublisher {
  private readonly outage: OutageLog;

  constructor(
    private readonly options: {
      publish: (item: CrawlResult) => Promise<ItemOutcome | void>;
      logger: Logger;
      /** How long one item keeps trying (default 30 s; under LEASE_TIMEOUT so no other crawler takes it). */
      patienceMs?: number;
      /** Answers once Kafka takes records again (e.g. a metadata call). */
      probe?: () => Promise<unknown>;
    },
  ) {
    this.outage = new OutageLog(options.logger, 'Kafka', { level: 'error' });
  }

  /** Whether Kafka is refusing pages now. */
  get down(): boolean {
    return this.outage.down;
  }

  /** During an outage: whether Kafka answers again (no probe configured: when `idle`, let one batch try). */
  async back(idle: boolean): Promise<boolean> {
    return this.options.probe ? this.answers() : idle;
  }

  /** Whether the probe answers now (false without a probe). */
  async answers(): Promise<boolean> {
    if (!this.options.probe) return false;
    try {
      await this.options.probe();
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Publishes one item with backoff (each item on its own, so a page's items that already went out are
   * not sent twice). Past the patience, or once `stopping()` says so, throws
   * ConnectionError('SC_KAFKA_UNREACHABLE'): the lease then goes back uncounted.
   */
  async publish(
    item: CrawlResult,
    stopping: () => boolean,
    signal: AbortSignal,
  ): Promise<ItemOutcome | void> {
    const patience = this.options.patienceMs ?? 30_000;
    const deadline = Date.now() + patience;
    const backoff = new Backoff({ initialMs: 250, maxMs: 5000 });
    for (;;) {
      try {
        const sent = await this.options.publish(item);
        this.outage.recovered();
        return sent;
      } catch (err) {
        const delay = backoff.next();
        this.outage.failed(err, delay);
        if (stopping() || Date.now() + delay > deadline) {
          throw new ConnectionError(
            'SC_KAFKA_UNREACHABLE',
            `Kafka did not take the page within ${Math.round(patience / 1000)} s: ${errorMessage(err)}`,
            { cause: err },
          );
        }
        await pause(delay, signal);
      }
    }
  }
}
