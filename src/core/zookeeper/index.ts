export { ZookeeperWatcher, type ZookeeperWatcherOptions } from './watcher.js';
export type { WatcherHandlers } from './handlers.js';
export {
  DEFAULT_CONFIG_ID,
  DEFAULT_CONFIG_PATH,
  pushConfig,
  type PushConfigOptions,
  type PushConfigResult,
} from './pusher.js';
export {
  MAX_NODE_BYTES,
  closeZookeeper,
  connectZookeeper,
  createNode,
  createZookeeperClient,
  exists,
  getData,
  isBadVersion,
  isConnectionLoss,
  isNoNode,
  isNodeExists,
  mkdirp,
  setData,
  withTimeout,
  type ClientOptions,
  type NodeData,
  type NodeWatcher,
  type ZookeeperClient,
  type ZookeeperEvent,
  type ZookeeperStat,
} from './client.js';
export { configNodePath, isValidNodePath, parsePointer } from './paths.js';
