import { errorMessage } from '../../core/errors.js';
import type { RankedPlugin } from '../../core/plugins.js';
import type { CrawlResponse } from '../spider/response.js';
import type { Spider } from '../spider/spider.js';
import type { SpiderOutput } from '../spider/types.js';
import { ExtensionError } from './errors.js';
import type { SpiderMiddleware } from './types.js';

/** Runs a spider's output for one response through the middlewares, as in Scrapy. */
export type SpiderOutputChain = (
  response: CrawlResponse,
  output: AsyncIterable<SpiderOutput>,
) => AsyncIterable<SpiderOutput>;

/**
 * SPIDER_MIDDLEWARES over a spider's output: the stage nearest the spider (highest rank) sees it first,
 * as in Scrapy's process_spider_output. An error of the spider itself passes through unchanged (the engine
 * knows which are definite failures); an error a middleware throws fails the request with one
 * `middleware-error` record naming the middlewares.
 */
export function spiderOutputChain(
  stages: readonly RankedPlugin<SpiderMiddleware>[],
  spider: Spider,
): SpiderOutputChain {
  const active = stages.filter(({ plugin }) => typeof plugin.processSpiderOutput === 'function');
  if (active.length === 0) return (_response, output) => output;
  return async function* (response, output) {
    const fromSpider = new WeakSet<object>();
    let result: AsyncIterable<SpiderOutput> = tracked(output, fromSpider);
    let current = 'spider';
    for (const { id, plugin } of [...active].reverse()) {
      const input = result;
      result = plugin.processSpiderOutput(response, input, spider);
      if (
        !result ||
        typeof (result as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] !== 'function'
      ) {
        throw new ExtensionError(
          'middleware-error',
          `SPIDER_MIDDLEWARES ${id}.processSpiderOutput must return an async iterable (an async generator)`,
          { component: id },
        );
      }
      current = id;
    }
    try {
      yield* result;
    } catch (err) {
      if (err !== null && typeof err === 'object' && fromSpider.has(err)) throw err;
      if (err instanceof ExtensionError) throw err;
      const names = active.map((s) => s.id).join(', ');
      throw new ExtensionError(
        'middleware-error',
        `SPIDER_MIDDLEWARES (${names}) failed: ${errorMessage(err)}`,
        { cause: err, component: current },
      );
    }
  };
}

/** The spider's own output, remembering the errors it throws so they are not blamed on a middleware. */
async function* tracked(
  output: AsyncIterable<SpiderOutput>,
  errors: WeakSet<object>,
): AsyncIterable<SpiderOutput> {
  try {
    yield* output;
  } catch (err) {
    if (err !== null && typeof err === 'object') errors.add(err);
    throw err;
  }
}
