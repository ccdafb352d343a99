import type { FieldMap } from './fields.js';

export type Component = 'kafka-monitor' | 'crawler' | 'redis-monitor' | 'rest';

export const COMPONENTS: readonly Component[] = ['kafka-monitor', 'crawler', 'redis-monitor', 'rest'];

/** The logging settings' names: the crawler prefixes them with SC_ so they do not clash with Scrapy's. */
export interface LogSettingNames {
  readonly name: string;
  readonly dir: string;
  readonly file: string;
  readonly maxBytes: string;
  readonly backups: string;
  readonly stdout: string;
  readonly json: string;
  readonly level: string;
}

/**
 * One component's settings table: each setting declared once (type and default), next to the component
 * that reads it (`src/<component>/settings.ts`); the loader in this folder works on any such table.
 */
export interface ComponentSpec<S> {
  readonly fields: FieldMap;
  readonly defaults: S;
  /** Other accepted name → canonical setting name (misspellings the original used, friendlier names). */
  readonly aliases: Readonly<Record<string, string>>;
  readonly log: LogSettingNames;
}

/** The logging settings' names for a component: `SC_`-prefixed in the crawler, plain elsewhere. */
export function logSettingNames(prefix: '' | 'SC_'): LogSettingNames {
  return {
    name: `${prefix}LOGGER_NAME`,
    dir: `${prefix}LOG_DIR`,
    file: `${prefix}LOG_FILE`,
    maxBytes: `${prefix}LOG_MAX_BYTES`,
    backups: `${prefix}LOG_BACKUPS`,
    stdout: `${prefix}LOG_STDOUT`,
    json: `${prefix}LOG_JSON`,
    level: `${prefix}LOG_LEVEL`,
  };
}

export function isComponent(value: string): value is Component {
  return (COMPONENTS as readonly string[]).includes(value);
}
