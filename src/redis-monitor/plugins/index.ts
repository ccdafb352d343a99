import type { RedisMonitorPluginExport } from '../plugin.js';
import { ExpireMonitor } from './expire-monitor.js';
import { InfoMonitor } from './info-monitor.js';
import { StatsMonitor } from './stats-monitor.js';
import { StopMonitor } from './stop-monitor.js';
import { ZookeeperMonitor } from './zookeeper-monitor.js';

export { ExpireMonitor, InfoMonitor, StatsMonitor, StopMonitor, ZookeeperMonitor };
export type { CrawlStats } from './info-monitor.js';
export type { ZookeeperMonitorOptions } from './zookeeper-monitor.js';

/**
 * The default PLUGINS names. The original's dotted paths (`plugins.info_monitor.InfoMonitor`) map here
 * too, since only the last segment is looked up.
 */
export const BUILT_IN_PLUGINS: Record<string, RedisMonitorPluginExport> = {
  InfoMonitor,
  StopMonitor,
  ExpireMonitor,
  StatsMonitor,
  ZookeeperMonitor,
};
