import { dirname, resolve } from 'node:path';
import { connectBus, type Bus } from '../core/bus/index.js';
import { createLogger, type Logger } from '../core/logging/index.js';
import { loadSettings, logOptionsFromSettings, type Component, type Settings } from '../settings.js';
import { connectStore, type Store } from '../core/store/index.js';
import { settingsFlags, type CommonOptions } from './common-options.js';
import { settingsWarnings } from './unknown-settings.js';

export interface Runtime<C extends Component> {
  settings: Settings<C>;
  logger: Logger;
  /** Directory relative plugin paths resolve from: the settings file's, else the working directory. */
  baseDir: string;
}

/** Settings and logger for a component command, from its -s file, the environment and the flags. */
export async function openRuntime<C extends Component>(
  component: C,
  options: CommonOptions,
): Promise<Runtime<C>> {
  const settings = await loadSettings(component, {
    ...(options.settings ? { file: options.settings } : {}),
    flags: settingsFlags(options),
  });
  const logger = createLogger(logOptionsFromSettings(component, settings));
  for (const line of await settingsWarnings(options)) logger.warning(line);
  const baseDir = options.settings ? dirname(resolve(options.settings)) : process.cwd();
  return { settings, logger, baseDir };
}

/** Connects to Redis; with `logger`, warns at start when that Redis keeps no AOF and no replica. */
export function openStore(settings: Settings<Component>, name: string, logger?: Logger): Promise<Store> {
  return connectStore(settings, name, logger);
}

export function openBus(
  settings: Settings<Component>,
  clientId: string,
  timeoutSeconds?: number,
): Promise<Bus> {
  return connectBus(settings, {
    clientId,
    ...(timeoutSeconds ? { timeoutMs: timeoutSeconds * 1000 } : {}),
  });
}

/**
 * Resolves when the process is asked to stop (Ctrl-C or SIGTERM). A second signal exits at once, so a
 * stuck shutdown can always be interrupted.
 */
export function untilStopped(): Promise<NodeJS.Signals> {
  return new Promise((resolvePromise) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.once('SIGINT', () => process.exit(130));
      process.once('SIGTERM', () => process.exit(143));
      resolvePromise(signal);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
}

/** Registers something a component command opened, to be closed when the command ends. */
export type Own = <T>(value: T, close: (value: T) => unknown) => T;

/**
 * Runs a long-lived component command: `start` opens what it needs, registering each piece with `own`,
 * then the command waits for a stop signal. Everything owned is closed in reverse order whatever happens,
 * also when an opener or the start itself fails, so a failed start leaks no Redis or Kafka connection
 * (the process would otherwise linger on their sockets).
 */
export async function runComponent(
  logger: Logger,
  start: (own: Own) => Promise<void>,
  stopped: () => Promise<unknown> = untilStopped,
): Promise<void> {
  const closers: (() => unknown)[] = [];
  const own: Own = (value, close) => {
    closers.push(() => close(value));
    return value;
  };
  try {
    await start(own);
    await stopped();
  } finally {
    for (const close of closers.reverse()) {
      try {
        await close();
      } catch (err) {
        logger.warning('Failed to close a connection while stopping', { error: String(err) });
      }
    }
    logger.close();
  }
}
