import type { Command } from 'commander';
import { addCommonOptions, type CommonOptions } from '../cli/common-options.js';
import { openBus, openRuntime, openStore, untilStopped } from '../cli/runtime.js';
import { Crawler } from './crawler.js';
import { resolveSpider } from './spider/index.js';

interface CrawlerCommandOptions extends CommonOptions {
  spider: string;
  graceSeconds: string;
}

/** `scrapy-cluster crawler` (the original's `scrapy runspider crawling/spiders/link_spider.py`). */
export function registerCrawlerCommand(program: Command): void {
  addCommonOptions(
    program
      .command('crawler')
      .description('run one crawler process; run as many as you like, on any machines')
      .option('--spider <name-or-file>', 'spider type (link, wandering) or a spider file (.js/.mjs)', 'link')
      .option('--grace-seconds <seconds>', 'on SIGTERM, how long requests in flight may finish', '10'),
  ).action(async (options: CrawlerCommandOptions) => {
    const { settings, logger } = await openRuntime('crawler', options);
    const spider = await resolveSpider(options.spider);
    const store = await openStore(settings, `crawler-${spider.spiderName}`, logger);
    const bus = await openBus(settings, `crawler-${spider.spiderName}`);
    const crawler = new Crawler({ settings, store, bus, logger, spider });
    await crawler.start();
    await untilStopped();
    await crawler.stop(Number(options.graceSeconds));
    await bus.close();
    await store.close();
    logger.close();
  });
}
