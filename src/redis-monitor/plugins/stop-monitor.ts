import { CrawlQueues } from '../crawl/queues.js';
import { KafkaBaseMonitor, logDict, type RedisMonitorContext } from '../plugin.js';
import { DeliveryError } from '../reply.js';
import { redisKeys } from '../../core/wire/keys.js';

/** Replies whose delivery failed, per job (key and value), kept for the retry. */
const MAX_UNSENT = 1000;

/**
 * Stop requests, `stop:<spiderid>:<appid>:<crawlid>` = uuid (facts 8.5): blacklists the crawl
 * (`<spiderid>:blacklist` gets `<appid>||<crawlid>`), removes its queued and leased requests, replies with
 * `total_purged` and deletes the crawl's timeout key. Without a crawlid the request is refused with a
 * warning and no reply, as in the original.
 */
export class StopMonitor extends KafkaBaseMonitor {
  readonly name: string = 'StopMonitor';
  readonly pattern: string = 'stop:*:*';
  protected queues!: CrawlQueues;
  /**
   * When a reply could not be sent, the purge already happened: the retry must report the requests it
   * removed then, not only what is left to remove.
   */
  private readonly unsent = new Map<string, Record<string, unknown>>();

  override setup(context: RedisMonitorContext): void {
    super.setup(context);
    this.queues = new CrawlQueues(context.store);
  }

  async handle(key: string, value: string): Promise<void> {
    const elements = key.split(':');
    if (elements.length !== 4) {
      this.logger.warning('Stop requests need a crawlid and appid', { key, uuid: value });
      return;
    }
    const [, spiderid, appid, crawlid] = elements as [string, string, string, string];
    const extras = logDict('stop', appid, { spiderid, uuid: value, crawlid });
    this.logger.info('Received stop request', extras);
    const purged = await this.stopCrawl(spiderid, appid, crawlid);
    await this.replyOnce(key, value, 'total_purged', purged, () => ({
      action: 'stop',
      spiderid,
      appid,
      crawlid,
      total_purged: 0,
      uuid: value,
      server_time: this.serverTime(),
    }));
    await this.store.del(redisKeys.crawlTimeout(spiderid, appid, crawlid));
    this.logger.info('Sent stop ack to kafka', { ...extras, success: true });
  }

  /** Blacklists the crawl, then removes its queued and leased requests; returns how many. */
  protected async stopCrawl(spiderid: string, appid: string, crawlid: string): Promise<number> {
    await this.store.sadd(`${spiderid}:blacklist`, `${appid}||${crawlid}`);
    const { queued, leased } = await this.queues.purge(spiderid, appid, crawlid);
    return queued + leased;
  }

  /**
   * Sends the reply built by `build` with `count` added to its `field`; if Kafka refuses, the reply is
   * kept so the job's retry adds what it purges then to the same total.
   */
  protected async replyOnce(
    key: string,
    value: string,
    field: string,
    count: number,
    build: () => Record<string, unknown>,
  ): Promise<void> {
    const id = `${key}\n${value}`;
    const reply = this.unsent.get(id) ?? build();
    reply[field] = Number(reply[field] ?? 0) + count;
    this.unsent.delete(id);
    try {
      await this.deliver(reply);
    } catch (err) {
      if (err instanceof DeliveryError) {
        if (this.unsent.size >= MAX_UNSENT) this.unsent.delete(this.unsent.keys().next().value!);
        this.unsent.set(id, reply);
      }
      throw err;
    }
  }
}
