import type { CrawlResponse } from './response.js';
import { Spider } from './spider.js';
import type { SpiderOutput } from './types.js';
import { metaNumber } from '../../core/wire/request-codec.js';

/**
 * The generic crawler (`spiderid` "link"): one item per page, and while `curdepth < maxdepth` one request
 * per filtered link, a level deeper and 10 priority points lower, so shallow pages of a crawl go first.
 */
export class LinkSpider extends Spider {
  static override readonly spiderName: string = 'link';

  override async *parse(response: CrawlResponse): AsyncGenerator<SpiderOutput> {
    const meta = response.meta;
    const debug = this.logger.isEnabledFor('DEBUG');
    if (debug) this.logger.debug(`crawled url ${response.url}`);
    const curdepth = metaNumber(meta, 'curdepth');
    const maxdepth = metaNumber(meta, 'maxdepth');
    const item = this.buildItem(response);

    if (curdepth >= maxdepth) {
      if (debug) {
        this.logger.debug(
          `Not spidering links in '${response.finalUrl}' because cur_depth=${curdepth} >= maxdepth=${maxdepth}`,
        );
      }
    } else {
      const child = { priority: metaNumber(meta, 'priority') - 10, curdepth: curdepth + 1 };
      for (const link of this.extractLinks(response)) {
        item.links.push({ url: link.url, text: link.text });
        const request = this.follow(response, link, child);
        if (debug) this.logger.debug(`Trying to follow link '${request.url}'`);
        yield request;
      }
    }
    // The item goes last, after every request of the page.
    yield item;
  }
}
