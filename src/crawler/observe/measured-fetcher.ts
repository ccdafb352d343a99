import { isFetchProblem, type PageFetcher } from '../engine/ports.js';
import type { CrawlerMetrics } from './metrics.js';

/**
 * Wraps the engine's fetcher to count responses (by status), bytes, fetch time and failures by reason,
 * so the engine itself needs no metrics code.
 */
export function measuredFetcher(inner: PageFetcher, metrics: CrawlerMetrics): PageFetcher {
  return {
    async fetch(input, signal) {
      const started = performance.now();
      try {
        const page = await inner.fetch(input, signal);
        metrics.fetched(page.status, page.body.length, (performance.now() - started) / 1000);
        return page;
      } catch (err) {
        if (isFetchProblem(err)) metrics.fetchFailed(err.reason);
        throw err;
      }
    },
    close: () => inner.close(),
  };
}
