import { ActionHandler } from './action-handler.js';
import type { PluginExport } from './plugin.js';
import { ScraperHandler } from './scraper-handler.js';
import { StatsHandler } from './stats-handler.js';
import { ZookeeperHandler } from './zookeeper-handler.js';

export type { KafkaMonitorPlugin, PluginContext, PluginExport, Transaction } from './plugin.js';
export { ActionHandler, ScraperHandler, StatsHandler, ZookeeperHandler };

/** The default PLUGINS names. The original's dotted paths (`plugins.scraper_handler.ScraperHandler`) map here too. */
export const BUILT_IN_PLUGINS: Record<string, PluginExport> = {
  ScraperHandler,
  ActionHandler,
  StatsHandler,
  ZookeeperHandler,
};
