import type { BusMessage } from '../core/bus/index.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logging/index.js';
import type { Store } from '../core/store/index.js';
import { redisKeys } from '../core/wire/keys.js';

/** The Redis key a reply nobody in this process waits for is kept under, for `/poll` on any node. */
export const restPollKey = (uuid: string): string => redisKeys.restPoll(uuid);

export type FeedReply = Record<string, unknown>;

/** One `/feed` request waiting for the reply carrying its uuid. */
export interface Waiter {
  /** The reply, or undefined when none came within `timeoutMs`; the waiter is forgotten either way. */
  result(timeoutMs: number): Promise<FeedReply | undefined>;
  /** Forgets the waiter at once (the request failed or its client went away). */
  cancel(): void;
}

export interface ReplyRouterOptions {
  /** The store, when connected at least once. */
  store: () => Store | undefined;
  /** Seconds a stored reply lives (REST_POLL_TTL); 0 keeps it until polled, as the original did. */
  pollTtl: number;
  logger: Logger;
}

/**
 * Routes the replies read from `<prefix>.outbound_firehose`. A reply whose uuid a request of this
 * process waits for resolves that request; any other reply with a uuid is stored as
 * `rest:poll:<uuid>`, so that `/poll` finds it whichever node behind a load balancer it reaches.
 * Waiters are registered before the request is produced and removed when they resolve, time out or are
 * cancelled: nothing stays in memory for a request that is over.
 */
export class ReplyRouter {
  private readonly waiting = new Map<string, Set<(reply: FeedReply) => void>>();

  constructor(private readonly options: ReplyRouterOptions) {}

  /** Number of uuids requests wait for right now. */
  get pending(): number {
    return this.waiting.size;
  }

  expect(uuid: string): Waiter {
    let deliver!: (reply: FeedReply) => void;
    const arrived = new Promise<FeedReply>((resolve) => (deliver = resolve));
    let set = this.waiting.get(uuid);
    if (!set) {
      set = new Set();
      this.waiting.set(uuid, set);
    }
    set.add(deliver);
    const forget = (): void => {
      const current = this.waiting.get(uuid);
      if (!current) return;
      current.delete(deliver);
      if (current.size === 0) this.waiting.delete(uuid);
    };
    return {
      cancel: forget,
      result: async (timeoutMs) => {
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<undefined>((resolve) => {
          timer = setTimeout(() => resolve(undefined), timeoutMs);
        });
        try {
          return await Promise.race([arrived, timedOut]);
        } finally {
          clearTimeout(timer);
          forget();
        }
      },
    };
  }

  /** The subscription handler. Never throws: a reply that cannot be stored is logged and dropped. */
  async handle(messages: BusMessage[]): Promise<void> {
    const { logger } = this.options;
    const unclaimed: { uuid: string; value: string }[] = [];
    for (const message of messages) {
      let reply: unknown;
      try {
        reply = JSON.parse(message.value);
      } catch {
        logger.warning('Unparseable JSON Received from kafka', { value: message.value.slice(0, 200) });
        continue;
      }
      const uuid = uuidOf(reply);
      // Replies without a uuid (expire notifications) are for other consumers.
      if (uuid === undefined) continue;
      const waiters = this.waiting.get(uuid);
      if (waiters) {
        this.waiting.delete(uuid);
        for (const deliver of waiters) deliver(reply as FeedReply);
        logger.debug('Received reply for a waiting request', { uuid });
      } else {
        unclaimed.push({ uuid, value: message.value });
      }
    }
    if (unclaimed.length > 0) await this.store(unclaimed);
  }

  private async store(replies: { uuid: string; value: string }[]): Promise<void> {
    const { logger, pollTtl } = this.options;
    const store = this.options.store();
    const uuids = replies.map((r) => r.uuid);
    if (!store) {
      logger.warning('Unable to store poll results, not connected to redis', { uuids });
      return;
    }
    const pipeline = store.pipeline();
    for (const { uuid, value } of replies) {
      if (pollTtl > 0) pipeline.call('SET', restPollKey(uuid), value, 'EX', pollTtl);
      else pipeline.call('SET', restPollKey(uuid), value);
    }
    try {
      const results = await pipeline.exec();
      const failed = results.flatMap((r, i) => (r instanceof Error ? [uuids[i]] : []));
      if (failed.length > 0) {
        logger.warning('Unable to store poll results in redis', { uuids: failed });
      } else {
        logger.debug('Stored poll results', { uuids });
      }
    } catch (err) {
      logger.warning('Unable to store poll results in redis', { uuids, error: errorMessage(err) });
    }
  }
}

/** The uuid a reply carries (the original keyed on any `uuid` member, written with `str()`). */
function uuidOf(reply: unknown): string | undefined {
  if (typeof reply !== 'object' || reply === null || Array.isArray(reply)) return undefined;
  const uuid = (reply as FeedReply).uuid;
  if (typeof uuid === 'string') return uuid;
  if (typeof uuid === 'number' && Number.isFinite(uuid)) return String(uuid);
  return undefined;
}
