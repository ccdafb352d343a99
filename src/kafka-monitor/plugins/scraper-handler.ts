import { registeredDomain, type DomainKeyStyle } from '../../core/domain.js';
import { BadInputError } from '../../core/errors.js';
import { SpiderTypeWatch } from '../../core/live-crawlers.js';
import { priorityPush } from '../../core/queues/index.js';
import { redisKeys } from '../../core/wire/keys.js';
import type { JsonObject } from '../../core/wire/validator.js';
import { BuiltInPlugin } from './built-in-plugin.js';
import type { PluginContext, Transaction } from './plugin.js';

/** Crawl requests → `<spiderid>:<registered domain>:queue` (DOMAIN_KEYS style), plus the crawl's timeout key. */
export class ScraperHandler extends BuiltInPlugin {
  readonly name = 'ScraperHandler';

  private spiderWatch: SpiderTypeWatch | undefined;

  constructor() {
    super('ScraperHandler');
  }

  override setup(context: PluginContext): void {
    super.setup(context);
    this.spiderWatch = new SpiderTypeWatch(context.store, context.logger);
  }

  handle(request: JsonObject, tx: Transaction): undefined {
    const url = String(request.url);
    const style = (this.context?.settings.DOMAIN_KEYS ?? 'normalized') as DomainKeyStyle;
    const domain = registeredDomain(url, style);
    if (!domain) throw new BadInputError(`Cannot find a domain in url '${url}'`);
    const { spiderid, appid, crawlid, priority, expires } = request as Record<string, string | number>;
    const queue = redisKeys.queue(String(spiderid), domain);
    tx.run(priorityPush, [queue], [Number(priority), JSON.stringify(request)]);
    tx.announce(redisKeys.queueAnnounce(String(spiderid)), queue);
    if (Number(expires) !== 0)
      tx.call(
        'SET',
        redisKeys.crawlTimeout(String(spiderid), String(appid), String(crawlid)),
        String(expires),
      );
    this.logAdded(tx, 'Added crawl to Redis', request);
    tx.afterCommit(() => void this.spiderWatch?.check(String(spiderid), { appid, crawlid }));
    return undefined;
  }
}
