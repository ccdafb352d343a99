// An item pipeline that drops pages by a rule and marks the pages it keeps.
//
//   ITEM_PIPELINES='{"./examples/filter-pipeline.mjs": 50}' DROP_URL_REGEX='/private/' scrapy-cluster crawler
//
// Its rank (50) is below KafkaPipeline's (100), so it runs before the page is published: what it drops
// never reaches the topic, and what it changes is what the topic carries.
// Pages whose URL matches DROP_URL_REGEX are dropped (not published; counted in
// crawler_items_dropped_total and logged with the reason). Every page kept gets a `filtered_by` field,
// which the crawled topic then carries. Failure records pass untouched.
import { DropItem } from 'scrapy-cluster';

export default class FilterPipeline {
  constructor({ settings }) {
    const pattern = settings.DROP_URL_REGEX ?? process.env.DROP_URL_REGEX;
    this.drop = pattern ? new RegExp(String(pattern)) : null;
  }

  processItem(item) {
    if (item.error) return item;
    if (this.drop?.test(item.url)) throw new DropItem(`URL matches ${this.drop.source}`);
    return { ...item, filtered_by: 'filter-pipeline' };
  }
}
