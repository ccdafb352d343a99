export {
  startStandalone,
  type StandaloneBackends,
  type StandaloneCluster,
  type StandaloneOptions,
} from './cluster.js';
export { DEMO_THROTTLE, runDemo, type DemoOptions } from './demo.js';
export { registerDemoCommand, registerStandaloneCommand } from './cli.js';
export {
  BACKEND_SETTINGS,
  resolveStandaloneSettings,
  STANDALONE_DEFAULTS,
  type StandaloneSettings,
  type StandaloneSettingsSource,
} from './settings.js';
export { registerStreamRoutes, StreamHub, type StreamName } from './streams.js';
