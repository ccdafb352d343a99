import type { CrawlResponse } from './response.js';
import { Spider } from './spider.js';
import type { SpiderOutput } from './types.js';

/**
 * The seed's example spider (`spiderid` "wandering"): from each page it follows one link picked at random,
 * so a crawl is a single path through the web that ends on a page without links. `attrs.step` in each
 * item counts the hops from the seed.
 */
export class WanderingSpider extends Spider {
  static override readonly spiderName: string = 'wandering';

  override async *parse(response: CrawlResponse): AsyncGenerator<SpiderOutput> {
    this.logger.debug(`crawled url ${response.url}`);
    const step = typeof response.meta.step === 'number' ? response.meta.step : 0;

    const item = this.buildItem(response);
    item.attrs = { ...item.attrs, step };

    const links = this.extractLinks(response);
    if (links.length > 0) {
      const link = links[Math.floor(this.random() * links.length)];
      if (link !== undefined) {
        const request = this.follow(response, link, { step: step + 1 });
        this.logger.debug(`Trying to yield link '${request.url}'`);
        yield request;
      }
    } else {
      this.logger.info('Did not find any more links');
    }
    yield item;
  }

  /** A number in [0, 1); tests replace it to make the pick predictable. */
  protected random(): number {
    return Math.random();
  }
}
