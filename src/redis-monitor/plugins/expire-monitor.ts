import { BadInputError } from '../../core/errors.js';
import { logDict } from '../plugin.js';
import { StopMonitor } from './stop-monitor.js';

/**
 * Crawl timeouts, `timeout:<spiderid>:<appid>:<crawlid>` = epoch seconds (facts 8.5): once the time has
 * passed, the crawl is stopped like a stop request and an `expired` notification (without uuid) is sent;
 * the monitor then deletes the timeout key. Until then the key is left alone and checked every pass.
 */
export class ExpireMonitor extends StopMonitor {
  override readonly name: string = 'ExpireMonitor';
  override readonly pattern: string = 'timeout:*:*:*';

  checkPrecondition(key: string, value: string): boolean {
    const expires = Number(value);
    // The original failed on such a value (and dropped the key after its retries); drop it at once.
    if (value.trim() === '' || Number.isNaN(expires))
      throw new BadInputError(`Invalid timeout value for ${key}: ${value}`);
    return this.clock() > expires;
  }

  override async handle(key: string, value: string): Promise<void> {
    const [, spiderid = '', appid = '', crawlid = ''] = key.split(':');
    const extras = logDict('expire', appid, { spiderid, crawlid });
    this.logger.info('Expiring crawl found', extras);
    const purged = await this.stopCrawl(spiderid, appid, crawlid);
    await this.replyOnce(key, value, 'total_expired', purged, () => ({
      server_time: this.serverTime(),
      crawlid,
      spiderid,
      appid,
      total_expired: 0,
      action: 'expired',
    }));
    this.logger.info('Sent expired ack to kafka', { ...extras, success: true });
  }
}
