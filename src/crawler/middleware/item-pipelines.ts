import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logging/index.js';
import type { RankedPlugin } from '../../core/plugins.js';
import type { CrawlResult } from '../pipeline/item.js';
import type { Spider } from '../spider/spider.js';
import { ExtensionError, isDropItem, runHook } from './errors.js';
import type { ItemPipeline } from './types.js';

/**
 * Filled by the built-in KafkaPipeline stage (the third argument of processItem, which user pipelines
 * ignore): whether the item reached Kafka whole or without its body.
 */
export interface ItemRun {
  outcome?: 'published' | 'too-large';
}

/**
 * What became of an item: on Kafka (`published`), on Kafka without its body (`too-large`), dropped by a
 * pipeline, through every stage without a Kafka one (`processed`: KafkaPipeline was removed), or failed by
 * a pipeline (its failure record went out in its place).
 */
export type ItemOutcome = 'published' | 'too-large' | 'dropped' | 'processed' | 'failed';

/** Stages the chain's own failure records go through: the built-in ones, never a user's. */
const BUILT_IN_STAGES = new Set(['LoggingBeforePipeline', 'KafkaPipeline']);

/**
 * ITEM_PIPELINES: every item (page or failure record) goes through the stages in rank order. A stage may
 * change the item, or drop it with DropItem (counted and logged with its reason). A stage that throws or
 * hangs fails the item: a failure record with reason `pipeline-error` goes out instead, through the
 * built-in stages only, so a broken pipeline cannot also swallow the record of its own failure. Errors
 * of the Kafka stage itself (broker down) pass through unchanged: the engine rides out the outage.
 */
export class ItemPipelineChain {
  constructor(
    private readonly stages: readonly RankedPlugin<ItemPipeline>[],
    private readonly spider: Spider,
    private readonly options: {
      logger: Logger;
      /** Longest a user stage may take for one item (DOWNLOAD_TIMEOUT). */
      timeoutMs: number;
      onDropped?: (stage: string, reason: string, item: CrawlResult) => void;
      onFailed?: (stage: string, message: string, item: CrawlResult) => void;
    },
  ) {}

  get names(): string[] {
    return this.stages.map((s) => s.id);
  }

  async open(): Promise<void> {
    for (const { id, plugin } of this.stages) {
      if (plugin.open)
        await runHook(
          hookOf(id, 'open'),
          this.options.timeoutMs,
          () => plugin.open!(this.spider),
          'pipeline-error',
        );
    }
  }

  /** Closes every stage that opened, in reverse order; one failing does not keep the others open. */
  async close(): Promise<void> {
    for (const { id, plugin } of [...this.stages].reverse()) {
      if (!plugin.close) continue;
      try {
        await runHook(
          hookOf(id, 'close'),
          this.options.timeoutMs,
          () => plugin.close!(this.spider),
          'pipeline-error',
        );
      } catch (err) {
        this.options.logger.error('Item pipeline failed to close', {
          pipeline: id,
          error: errorMessage(err),
        });
      }
    }
  }

  async process(item: CrawlResult): Promise<ItemOutcome> {
    try {
      return await this.run(item, this.stages);
    } catch (err) {
      if (!(err instanceof ExtensionError)) throw err;
      const stage = err.component;
      this.options.logger.error('Item pipeline failed; a failure record goes out instead', {
        url: item.url,
        pipeline: stage,
        error: err.message,
      });
      this.options.onFailed?.(stage, err.message, item);
      const builtIns = this.stages.filter((s) => BUILT_IN_STAGES.has(s.id));
      await this.run(pipelineFailure(item, err.message), builtIns);
      return 'failed';
    }
  }

  private async run(item: CrawlResult, stages: readonly RankedPlugin<ItemPipeline>[]): Promise<ItemOutcome> {
    const run: ItemRun = {};
    let current = item;
    for (const { id, plugin } of stages) {
      const builtIn = BUILT_IN_STAGES.has(id);
      const step = () =>
        (plugin.processItem as (i: CrawlResult, s: Spider, r: ItemRun) => CrawlResult | Promise<CrawlResult>)(
          current,
          this.spider,
          run,
        );
      let next: unknown;
      try {
        // The Kafka stage has its own patience (the engine's); user stages are bounded here.
        next = builtIn
          ? await step()
          : await runHook(hookOf(id, 'processItem'), this.options.timeoutMs, step, 'pipeline-error');
      } catch (err) {
        if (!isDropItem(err)) throw err;
        const reason = err.message || `dropped by ${id}`;
        this.options.logger.info('Item dropped', { url: current.url, pipeline: id, reason });
        this.options.onDropped?.(id, reason, current);
        return 'dropped';
      }
      if (next === null || typeof next !== 'object' || Array.isArray(next)) {
        throw new ExtensionError(
          'pipeline-error',
          `ITEM_PIPELINES ${id}.processItem returned ${next === null ? 'null' : typeof next} instead of the item ` +
            '(return the item, or throw DropItem to drop it)',
          { component: id },
        );
      }
      current = next as CrawlResult;
    }
    return run.outcome ?? 'processed';
  }
}

function hookOf(component: string, method: string) {
  return { setting: 'ITEM_PIPELINES', component, method };
}

/** The failure record of an item a pipeline failed: its crawl fields, no body, the pipeline's message. */
function pipelineFailure(item: CrawlResult, message: string): CrawlResult {
  return {
    ...item,
    status_code: 500,
    status_msg: message,
    response_headers: {},
    body: '',
    links: [],
    error: { reason: 'pipeline-error', message },
  };
}
