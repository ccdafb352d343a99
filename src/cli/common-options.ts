import { Option, type Command } from 'commander';
import type { SettingsFlags } from '../core/settings/index.js';

export interface CommonOptions {
  settings?: string;
  logLevel?: string;
  logJson?: boolean;
  logFile?: boolean;
}

/** The options every component command takes, as the original's `-s`, `-ll`, `-lf`, `-lj`. */
export function addCommonOptions(command: Command): Command {
  return command
    .option('-s, --settings <file>', 'local settings file (.json, .yaml, .js) overriding the defaults')
    .addOption(
      new Option('--log-level <level>', 'log level (alias -ll)').choices([
        'DEBUG',
        'INFO',
        'WARNING',
        'ERROR',
        'CRITICAL',
      ]),
    )
    .option('--log-json', 'log JSON lines instead of text (alias -lj)')
    .option('--log-file', 'log to LOG_DIR/LOG_FILE instead of stdout (alias -lf)');
}

export function settingsFlags(options: CommonOptions): SettingsFlags {
  const flags: SettingsFlags = {};
  if (options.logLevel) flags.logLevel = options.logLevel;
  if (options.logJson) flags.logJson = true;
  if (options.logFile) flags.logFile = true;
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
