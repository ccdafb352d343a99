export {
  startStandalone,
  type StandaloneBackends,
  type StandaloneCluster,
  type StandaloneOptions,
} from './cluster.js';
export { DEMO_THROTTLE, runDemo, type DemoOptions } from './demo.js';
export {
  BACKEND_SETTINGS,
  resolveStandaloneSettings,
  STANDALONE_DEFAULTS,
  type StandaloneSettings,
  type StandaloneSettingsSource,
} from './settings.js';
export { registerStreamRoutes, StreamHub, type StreamName } from './streams.js';
export {
  crawl,
  type CrawlOptions,
  type CrawlProgress,
  type CrawlResult,
  type CrawlSummary,
} from './crawl.js';
export { CrawlOutput, formatOf, OUTPUT_FORMATS, type OutputFormat } from './crawl-output.js';
