import {
  readSettingsFile,
  resolveSettings,
  type Component,
  type EnvSource,
  type Settings,
  type SettingsFlags,
  type SettingsRecord,
} from '../settings.js';

/**
 * What the single-process mode changes from each component's defaults (a settings file, the environment
 * and overrides still win):
 * - the crawler does not look up its public IP (SCHEDULER_IP_ENABLED false: works offline, and one
 *   process has one address anyway) and notices new domain queues within a second instead of ten;
 * - the REST service listens on loopback only (REST_BIND 127.0.0.1), since nothing guards it.
 * The throttle stays the original's (QUEUE_HITS 10 per QUEUE_WINDOW 60 s, moderated): polite by default.
 */
export const STANDALONE_DEFAULTS: { readonly [C in Component]: Readonly<SettingsRecord> } = {
  'kafka-monitor': {},
  'redis-monitor': {},
  crawler: { SCHEDULER_IP_ENABLED: false, SCHEDULER_QUEUE_REFRESH: 1 },
  rest: { REST_BIND: '127.0.0.1' },
};

/** The infrastructure settings that switch the standalone from in-memory to a real server. */
export const BACKEND_SETTINGS = {
  redis: 'REDIS_HOST',
  kafka: 'KAFKA_HOSTS',
  zookeeper: 'ZOOKEEPER_HOSTS',
} as const;

export interface StandaloneSettingsSource {
  /** Local settings file (.json, .yaml, .js), applied to every component. */
  settingsFile?: string;
  /** Values applied to every component after the settings file (embedding, the demo, tests). */
  overrides?: SettingsRecord;
  /** Defaults to process.env; `{}` ignores the environment. */
  env?: EnvSource;
  flags?: SettingsFlags;
}

export interface StandaloneSettings {
  'kafka-monitor': Settings<'kafka-monitor'>;
  'redis-monitor': Settings<'redis-monitor'>;
  crawler: Settings<'crawler'>;
  rest: Settings<'rest'>;
  /** Which infrastructure was named explicitly (environment, settings file or overrides). */
  real: { redis: boolean; kafka: boolean; zookeeper: boolean };
}

/** Every component's settings from one settings file, the environment and the flags. */
export async function resolveStandaloneSettings(
  source: StandaloneSettingsSource = {},
): Promise<StandaloneSettings> {
  const env = source.env ?? process.env;
  const fileValues = source.settingsFile ? await readSettingsFile(source.settingsFile) : {};
  const overrides = source.overrides ?? {};
  const named = (key: string): boolean =>
    (env[key] !== undefined && env[key] !== '') ||
    Object.hasOwn(fileValues, key) ||
    Object.hasOwn(overrides, key);
  const resolve = <C extends Component>(component: C): Settings<C> =>
    resolveSettings(component, {
      fileValues: { ...STANDALONE_DEFAULTS[component], ...fileValues },
      ...(source.settingsFile ? { filePath: source.settingsFile } : {}),
      overrides,
      env,
      ...(source.flags ? { flags: source.flags } : {}),
    });
  return {
    'kafka-monitor': resolve('kafka-monitor'),
    'redis-monitor': resolve('redis-monitor'),
    crawler: resolve('crawler'),
    rest: resolve('rest'),
    real: {
      redis: named(BACKEND_SETTINGS.redis),
      kafka: named(BACKEND_SETTINGS.kafka),
      zookeeper: named(BACKEND_SETTINGS.zookeeper),
    },
  };
}
