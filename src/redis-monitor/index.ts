export { RedisMonitor, type JobOutcome, type RedisMonitorOptions } from './monitor.js';
export {
  BaseMonitor,
  KafkaBaseMonitor,
  logDict,
  type RedisMonitorContext,
  type RedisMonitorPlugin,
  type RedisMonitorPluginExport,
} from './plugin.js';
export { DeliveryError, KafkaReplier, replyTopics, type ReplySettings } from './reply.js';
export {
  BUILT_IN_PLUGINS,
  ExpireMonitor,
  InfoMonitor,
  StatsMonitor,
  StopMonitor,
  ZookeeperMonitor,
  type CrawlStats,
  type ZookeeperMonitorOptions,
} from './plugins/index.js';
export { CrawlQueues, type CrawlTally, type PriorityTally, type PurgeResult } from './crawl/queues.js';
export { Sweeper, type SweepOptions } from './crawl/sweep.js';
export { ClusterStats } from './stats/cluster-stats.js';
export {
  ConfigConflict,
  MemoryConfigNode,
  ZookeeperConfigNode,
  type ConfigNode,
} from './zookeeper/config-node.js';
export {
  LOAD_ERROR,
  STORE_ERROR,
  parseDomainConfig,
  updateDomainConfig,
  type DomainConfigDocument,
} from './zookeeper/domain-config.js';
export { dumpPyYaml, pyFloat, type PyYamlValue } from './zookeeper/pyyaml.js';
export { LazyBus } from './lazy-bus.js';
