import type { Command } from 'commander';
import { addCommonOptions, type CommonOptions } from '../common-options.js';
import { openBus, openRuntime, openStore, runComponent } from '../runtime.js';

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
      .option(
        '--spider <name-or-file>',
        'spider type (link, wandering, sitemap) or a spider file (.js/.mjs)',
        'link',
      )
      .option('--grace-seconds <seconds>', 'on SIGTERM, how long requests in flight may finish', '10'),
  ).action(async (options: CrawlerCommandOptions) => {
    const { Crawler } = await import('../../crawler/crawler.js');
    const { resolveSpider } = await import('../../crawler/spider/index.js');
    const { settings, logger, baseDir } = await openRuntime('crawler', options);
    await runComponent(logger, async (own) => {
      const spider = await resolveSpider(options.spider);
      const store = own(await openStore(settings, `crawler-${spider.spiderName}`, logger), (s) => s.close());
      const bus = own(await openBus(settings, `crawler-${spider.spiderName}`), (b) => b.close());
      const crawler = new Crawler({ settings, store, bus, logger, spider, extensionDir: baseDir });
      own(crawler, (c) => c.stop(Number(options.graceSeconds)));
      await crawler.start();
    });
  });
}
