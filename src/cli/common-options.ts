import { InvalidArgumentError, Option, type Command } from 'commander';
import type { SettingsFlags } from '../core/settings/index.js';

export interface CommonOptions {
  settings?: string;
  set?: Record<string, string>;
  logLevel?: string;
  logJson?: boolean;
  logFile?: boolean;
}

const LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'];

/** A level name in any case (`debug`, `Debug`), and WARN for WARNING, as the settings accept them. */
export function parseLogLevel(text: string): string {
  const level = text.trim().toUpperCase();
  const canonical = level === 'WARN' ? 'WARNING' : level;
  if (!LEVELS.includes(canonical))
    throw new InvalidArgumentError(`expected one of ${LEVELS.join(', ')} (any case)`);
  return canonical;
}

/** `--set NAME=VALUE`, repeatable: collected into one record, a later value of a name wins. */
export function collectSetting(text: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = text.indexOf('=');
  const name = at > 0 ? text.slice(0, at).trim() : '';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
    throw new InvalidArgumentError('expected NAME=VALUE, e.g. --set QUEUE_HITS=20');
  return { ...previous, [name]: text.slice(at + 1) };
}

/** The options every component command takes, as the original's `-s`, `-ll`, `-lf`, `-lj`. */
export function addCommonOptions(command: Command): Command {
  return command
    .option('-s, --settings <file>', 'local settings file (.json, .yaml, .js) overriding the defaults')
    .option(
      '--set <name=value>',
      'override one setting (repeatable; parsed like an environment variable; wins over file and env)',
      collectSetting,
    )
    .addOption(
      new Option(
        '--log-level <level>',
        'log level: DEBUG, INFO, WARNING, ERROR, CRITICAL (any case; alias -ll)',
      ).argParser(parseLogLevel),
    )
    .option('--log-json', 'log JSON lines instead of text (alias -lj)')
    .option('--log-file', 'log to LOG_DIR/LOG_FILE instead of stdout (alias -lf)');
}

export function settingsFlags(options: CommonOptions): SettingsFlags {
  const flags: SettingsFlags = {};
  if (options.logLevel) flags.logLevel = options.logLevel;
  if (options.logJson) flags.logJson = true;
  if (options.logFile) flags.logFile = true;
  if (options.set && Object.keys(options.set).length > 0) flags.set = options.set;
  return flags;
}

/** The original's two-letter short options, which commander cannot declare, rewritten to long ones. */
const ALIASES: Record<string, string> = {
  '-ll': '--log-level',
  '-lj': '--log-json',
  '-lf': '--log-file',
  '-nb': '--no-body',
  '-jb': '--just-body',
  '-kh': '--kafka-host',
};

export function rewriteAliases(argv: string[]): string[] {
  return argv.map((arg) => ALIASES[arg] ?? arg);
}
