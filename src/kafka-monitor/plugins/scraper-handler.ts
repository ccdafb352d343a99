import { registeredDomain } from '../../core/domain.js';
import { BadInputError } from '../../core/errors.js';
import { priorityPush } from '../../core/queues/index.js';
import { frontierKeys } from '../../crawler/frontier/keys.js';
import type { JsonObject } from '../validator.js';
import { BuiltInPlugin } from './built-in-plugin.js';
import type { Transaction } from './plugin.js';

/** Crawl requests → `<spiderid>:<registered domain>:queue`, plus the crawl's timeout key. */
export class ScraperHandler extends BuiltInPlugin {
  readonly name = 'ScraperHandler';

  constructor() {
    super('scraper_schema.json');
  }

  handle(request: JsonObject, tx: Transaction): undefined {
    const url = String(request.url);
    const domain = registeredDomain(url);
    if (!domain) throw new BadInputError(`Cannot find a domain in url '${url}'`);
    const { spiderid, appid, crawlid, priority, expires } = request as Record<string, string | number>;
    const queue = frontierKeys.queue(String(spiderid), domain);
    tx.run(priorityPush, [queue], [Number(priority), JSON.stringify(request)]);
    tx.announce(frontierKeys.queueAnnounce(String(spiderid)), queue);
    if (Number(expires) !== 0) tx.call('SET', `timeout:${spiderid}:${appid}:${crawlid}`, String(expires));
    this.logAdded(tx, 'Added crawl to Redis', request);
    return undefined;
  }
}
