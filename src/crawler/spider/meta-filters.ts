import type { LinkFilterOptions } from '../links/index.js';
import type { CrawlMeta } from './types.js';

/**
 * The link filters a crawl request asked for. Values arrive from Kafka JSON (validated by the Kafka
 * Monitor's schema, but Python crawlers may have enqueued the request), so their shape is checked when the
 * filter compiles: anything but a string list fails with a BadInputError.
 */
export function linkOptionsFromMeta(meta: CrawlMeta): LinkFilterOptions {
  return {
    allowDomains: meta.allowed_domains,
    allow: meta.allow_regex,
    deny: meta.deny_regex,
    denyExtensions: meta.deny_extensions,
  };
}
