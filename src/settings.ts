/**
 * The four components' settings tables by component name, for the CLI, the standalone mode and embedding.
 * Each table is declared beside the component that reads it (`src/<component>/settings.ts`); the loader
 * itself is in core (`src/core/settings`) and works on any table.
 */
import {
  explainSpecSettings,
  loadSpecSettings,
  logOptionsOf,
  resolveSpecSettings,
  type Component,
  type ComponentSpec,
  type LoadSettingsOptions,
  type ResolveSettingsOptions,
  type SettingSource,
} from './core/settings/index.js';
import type { LoggerOptions } from './core/logging/logger.js';
import { crawlerSettingsSpec, type CrawlerSettings } from './crawler/settings.js';
import { kafkaMonitorSettingsSpec, type KafkaMonitorSettings } from './kafka-monitor/settings.js';
import { redisMonitorSettingsSpec, type RedisMonitorSettings } from './redis-monitor/settings.js';
import { restSettingsSpec, type RestSettings } from './rest/settings.js';

export * from './core/settings/index.js';
export {
  CRAWLER_DEFAULTS,
  crawlerFields,
  crawlerSettingsSpec,
  type CrawlerSettings,
} from './crawler/settings.js';
export {
  KAFKA_MONITOR_DEFAULTS,
  kafkaMonitorFields,
  kafkaMonitorSettingsSpec,
  type KafkaMonitorSettings,
} from './kafka-monitor/settings.js';
export {
  REDIS_MONITOR_DEFAULTS,
  redisMonitorFields,
  redisMonitorSettingsSpec,
  type RedisMonitorSettings,
} from './redis-monitor/settings.js';
export { REST_DEFAULTS, restFields, restSettingsSpec, type RestSettings } from './rest/settings.js';

export interface ComponentSettingsMap {
  'kafka-monitor': KafkaMonitorSettings;
  crawler: CrawlerSettings;
  'redis-monitor': RedisMonitorSettings;
  rest: RestSettings;
}

export const COMPONENT_SPECS: { readonly [C in Component]: ComponentSpec<ComponentSettingsMap[C]> } = {
  'kafka-monitor': kafkaMonitorSettingsSpec,
  crawler: crawlerSettingsSpec,
  'redis-monitor': redisMonitorSettingsSpec,
  rest: restSettingsSpec,
};

/**
 * A component's settings: every known setting typed, plus whatever extra keys a settings file added
 * (users keep their own settings next to ours, as with the original's localsettings.py).
 */
export type Settings<C extends Component> = ComponentSettingsMap[C] & Record<string, unknown>;

/** A component's effective settings with where each value came from (`scrapy-cluster settings`). */
export function explainSettings<C extends Component>(
  component: C,
  options: LoadSettingsOptions = {},
): Promise<{ settings: Settings<C>; sources: Record<string, SettingSource> }> {
  return explainSpecSettings(COMPONENT_SPECS[component], options);
}

/** A component's settings from values already in memory (see resolveSpecSettings for the precedence). */
export function resolveSettings<C extends Component>(
  component: C,
  options: ResolveSettingsOptions = {},
): Settings<C> {
  return resolveSpecSettings(COMPONENT_SPECS[component], options);
}

/** A component's settings: defaults, settings file, environment, command-line flags. */
export function loadSettings<C extends Component>(
  component: C,
  options: LoadSettingsOptions = {},
): Promise<Settings<C>> {
  return loadSpecSettings(COMPONENT_SPECS[component], options);
}

/** A fresh copy of a component's defaults, with no file, environment or flags applied. */
export function defaultSettings<C extends Component>(component: C): ComponentSettingsMap[C] {
  return structuredClone(COMPONENT_SPECS[component].defaults);
}

/** The logger options a component's settings describe (LOG_* or, for the crawler, SC_LOG_*). */
export function logOptionsFromSettings<C extends Component>(
  component: C,
  settings: Settings<C>,
): LoggerOptions {
  return logOptionsOf(COMPONENT_SPECS[component].log, settings);
}
