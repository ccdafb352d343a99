import type { LoggerOptions } from '../logging/logger.js';
import type { LogSettingNames } from './component.js';

/** The logger options a component's settings describe (LOG_* or, for the crawler, SC_LOG_*). */
export function logOptionsOf(names: LogSettingNames, settings: object): LoggerOptions {
  const values = settings as Record<string, unknown>;
  return {
    name: values[names.name] as string,
    dir: values[names.dir] as string,
    file: values[names.file] as string,
    bytes: values[names.maxBytes] as number,
    backups: values[names.backups] as number,
    stdout: values[names.stdout] as boolean,
    json: values[names.json] as boolean,
    level: values[names.level] as string,
  };
}
