import { SettingsError } from '../../core/errors.js';
import type { Logger } from '../../core/logging/index.js';
import { loadPlugins, type RankedPlugin } from '../../core/plugins.js';
import type { KafkaPipeline } from '../pipeline/kafka-pipeline.js';
import type { Spider } from '../spider/spider.js';
import {
  CustomCookiesMiddleware,
  EngineSwitch,
  KafkaPipelineStage,
  LoggingBeforePipeline,
  MetaPassthroughMiddleware,
} from './built-ins.js';
import { hasHooks } from './downloader-middlewares.js';
import { ItemPipelineChain } from './item-pipelines.js';
import type { DownloaderMiddleware, ExtensionContext, ItemPipeline, SpiderMiddleware } from './types.js';

/** A crawler's loaded ITEM_PIPELINES, DOWNLOADER_MIDDLEWARES and SPIDER_MIDDLEWARES. */
export interface CrawlExtensions {
  items: ItemPipelineChain;
  downloader: RankedPlugin<DownloaderMiddleware>[];
  spider: RankedPlugin<SpiderMiddleware>[];
  /** Whether a built-in the engine runs itself is switched on (its entry is present). */
  has(feature: EngineSwitch['feature']): boolean;
}

export interface LoadExtensionsOptions {
  settings: Readonly<Record<string, unknown>> & {
    ITEM_PIPELINES: Record<string, number>;
    DOWNLOADER_MIDDLEWARES: Record<string, number>;
    SPIDER_MIDDLEWARES: Record<string, number>;
  };
  spider: Spider;
  logger: Logger;
  /** The built-in KafkaPipeline stage publishes through it. */
  kafka: Pick<KafkaPipeline, 'publish'>;
  /** Where module paths are resolved from (the settings file's directory, else the working directory). */
  baseDir?: string;
  /** Longest a user hook may take (DOWNLOAD_TIMEOUT). */
  timeoutMs: number;
  onDropped?: (stage: string, reason: string) => void;
  onPipelineFailed?: (stage: string) => void;
}

/**
 * Loads the three maps once at start: built-ins by their original class names, user components by module
 * path (`./my-pipeline.mjs`, `./mw.js#Named`), each class instantiated once with an ExtensionContext. A
 * module that cannot be loaded, or lacks the method its setting needs, stops the start with an error
 * naming the setting and the module.
 */
export async function loadExtensions(options: LoadExtensionsOptions): Promise<CrawlExtensions> {
  const { settings, spider, logger } = options;
  const context: ExtensionContext = { settings, logger, spiderName: spider.spiderName };
  const load = <P>(
    setting: string,
    builtIns: Record<string, unknown>,
    check: (p: P) => boolean,
    needs: string,
  ) =>
    loadPlugins<P>(settings[setting] as Record<string, number>, builtIns, {
      setting,
      context,
      ...(options.baseDir ? { baseDir: options.baseDir } : {}),
      validate: (plugin, id) => {
        if (id in builtIns || check(plugin)) return;
        throw new SettingsError(`Setting ${setting}: ${id} has no ${needs} method`);
      },
    });
  const pipelines = await load<ItemPipeline>(
    'ITEM_PIPELINES',
    {
      LoggingBeforePipeline: new LoggingBeforePipeline(logger),
      KafkaPipeline: new KafkaPipelineStage(options.kafka),
    },
    (p) => typeof p.processItem === 'function',
    'processItem(item, spider)',
  );
  const downloader = await load<DownloaderMiddleware>(
    'DOWNLOADER_MIDDLEWARES',
    {
      RedisRetryMiddleware: new EngineSwitch('retry'),
      LogRetryMiddleware: new EngineSwitch('retry-log'),
      CustomCookiesMiddleware: new CustomCookiesMiddleware(),
    },
    hasHooks,
    'processRequest, processResponse or processException',
  );
  const spiderMiddlewares = await load<SpiderMiddleware>(
    'SPIDER_MIDDLEWARES',
    {
      MetaPassthroughMiddleware: new MetaPassthroughMiddleware(),
      RedisStatsMiddleware: new EngineSwitch('status-stats'),
    },
    (p) => typeof p.processSpiderOutput === 'function',
    'processSpiderOutput(response, result, spider)',
  );
  const switches = new Set(
    [...downloader, ...spiderMiddlewares]
      .map(({ plugin }): unknown => plugin)
      .filter((plugin): plugin is EngineSwitch => plugin instanceof EngineSwitch)
      .map((plugin) => plugin.feature),
  );
  const items = new ItemPipelineChain(pipelines, spider, {
    logger,
    timeoutMs: options.timeoutMs,
    ...(options.onDropped ? { onDropped: options.onDropped } : {}),
    ...(options.onPipelineFailed ? { onFailed: options.onPipelineFailed } : {}),
  });
  return {
    items,
    downloader,
    spider: spiderMiddlewares,
    has: (feature) => switches.has(feature),
  };
}
