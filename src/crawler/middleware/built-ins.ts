import type { Logger } from '../../core/logging/index.js';
import type { CrawlResult } from '../pipeline/item.js';
import type { KafkaPipeline } from '../pipeline/kafka-pipeline.js';
import { isRequest } from '../spider/guards.js';
import type { CrawlResponse } from '../spider/response.js';
import type { Spider } from '../spider/spider.js';
import type { ItemRun } from './item-pipelines.js';
import type {
  DownloadRequest,
  DownloaderMiddleware,
  ItemPipeline,
  SpiderMiddleware,
  SpiderResult,
} from './types.js';

// The built-in entries of ITEM_PIPELINES, DOWNLOADER_MIDDLEWARES and SPIDER_MIDDLEWARES, under the
// original's class names so a user can reorder, remove (null) or replace them.

/** The original's LoggingBeforePipeline: one DEBUG line per item (the original's INFO line, see docs). */
export class LoggingBeforePipeline implements ItemPipeline {
  constructor(private readonly logger: Logger) {}

  processItem(item: CrawlResult): CrawlResult {
    if (this.logger.isEnabledFor('DEBUG')) {
      this.logger.debug(`Scraped page: ${item.url}`, {
        action: 'emit',
        url: item.url,
        status_code: item.status_code,
        appid: item.appid,
        crawlid: item.crawlid,
      });
    }
    return item;
  }
}

/** The original's KafkaPipeline: the item goes to `<prefix>.crawled_firehose`, acknowledged by the broker. */
export class KafkaPipelineStage implements ItemPipeline {
  constructor(private readonly kafka: Pick<KafkaPipeline, 'publish'>) {}

  async processItem(item: CrawlResult, _spider: Spider, run?: ItemRun): Promise<CrawlResult> {
    const outcome = await this.kafka.publish(item);
    if (run) run.outcome = outcome;
    return item;
  }
}

/** The original's CustomCookiesMiddleware: a crawl's `cookie` (meta) goes with its requests. */
export class CustomCookiesMiddleware implements DownloaderMiddleware {
  processRequest(request: DownloadRequest): void {
    const cookie = request.meta.cookie;
    if (request.cookies === null && (typeof cookie === 'string' || (cookie && typeof cookie === 'object'))) {
      request.cookies = cookie;
    }
  }
}

/**
 * The original's MetaPassthroughMiddleware: a request a spider yields carries every key of its page's
 * meta that it does not set itself (Spider.follow already does this; this covers requests built by hand).
 */
export class MetaPassthroughMiddleware implements SpiderMiddleware {
  async *processSpiderOutput(
    response: CrawlResponse,
    result: AsyncIterable<SpiderResult>,
  ): AsyncIterable<SpiderResult> {
    const keys = Object.keys(response.meta);
    for await (const output of result) {
      if (isRequest(output) && !keys.every((key) => key in output.meta)) {
        yield { ...output, meta: { ...response.meta, ...output.meta } };
      } else yield output;
    }
  }
}

/**
 * A built-in whose work is done by the engine, not by a hook: its entry switches it on (present) or off
 * (null), and its rank is not used. Retries (RedisRetryMiddleware: RETRY_TIMES, RETRY_HTTP_CODES), their
 * log lines and 504 counts (LogRetryMiddleware), and the response-code stats (RedisStatsMiddleware).
 */
export class EngineSwitch {
  constructor(readonly feature: 'retry' | 'retry-log' | 'status-stats') {}
}
