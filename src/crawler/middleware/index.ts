export {
  DropItem,
  type DownloaderMiddleware,
  type DownloadRequest,
  type DownloadResponse,
  type ExtensionContext,
  type ItemPipeline,
  type MadeResponse,
  type SpiderMiddleware,
  type SpiderResult,
} from './types.js';
export { ExtensionError, type ExtensionFailure } from './errors.js';
export type { ItemOutcome } from './item-pipelines.js';
export type { CrawlResult } from '../pipeline/item.js';
