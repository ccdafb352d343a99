import { Command, CommanderError } from 'commander';
import { isClusterError, errorMessage } from '../core/errors.js';
import { registerZookeeperCommands } from './commands/zookeeper.js';
import { registerCrawlerCommand } from './commands/crawler.js';
import { registerKafkadumpCommands, registerKafkaMonitorCommands } from './commands/kafka-monitor.js';
import { registerRedisMonitorCommand } from './commands/redis-monitor.js';
import { registerRestCommand } from './commands/rest.js';
import { registerDemoCommand, registerStandaloneCommand } from './commands/standalone.js';
import { registerCrawlCommand, registerTestwebCommand } from './commands/crawl.js';
import { rewriteAliases } from './common-options.js';
import { allUsages } from './help.js';
import { registerSettingsCommand } from './settings-command.js';

export function buildProgram(): Command {
  const program = new Command('scrapy-cluster')
    .description('A distributed, on-demand web crawling cluster on Kafka, Redis and ZooKeeper')
    .version('0.1.0')
    .showHelpAfterError();
  registerKafkaMonitorCommands(program);
  registerKafkadumpCommands(program);
  registerZookeeperCommands(program);
  registerCrawlerCommand(program);
  registerRedisMonitorCommand(program);
  registerRestCommand(program);
  registerStandaloneCommand(program);
  registerDemoCommand(program);
  registerCrawlCommand(program);
  registerTestwebCommand(program);
  registerSettingsCommand(program);
  // The full list of usages on `scrapy-cluster --help` only; `<command> --help` shows that command.
  program.addHelpText('after', () => allUsages(program));
  return program;
}

/**
 * Runs the CLI. Errors the user can act on (bad settings, unreachable services, bad input) print one
 * line and exit 1; only unexpected errors show a stack trace.
 */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram().exitOverride();
  try {
    await program.parseAsync(rewriteAliases(argv));
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    if (isClusterError(err)) {
      console.error(`scrapy-cluster: ${err.message}`);
      process.exitCode = 1;
      return;
    }
    const known = systemErrorLine(err);
    if (known) {
      console.error(`scrapy-cluster: ${known}`);
      process.exitCode = 1;
      return;
    }
    console.error(err instanceof Error ? (err.stack ?? err.message) : errorMessage(err));
    process.exitCode = 1;
  }
}

/**
 * One line for the operating-system errors a user causes and can fix (a port in use, a path that cannot
 * be written), instead of a stack trace.
 */
export function systemErrorLine(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  switch (e.code) {
    case 'EADDRINUSE':
      return `port ${e.port ?? '?'} on ${e.address ?? 'this machine'} is already in use (another process listens there; pick another port)`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${e.address ?? 'that address'}: not an address of this machine`;
    case 'EACCES':
    case 'EPERM':
      return e.syscall === 'listen'
        ? `not allowed to listen on port ${e.port ?? '?'} (ports below 1024 need privileges)`
        : `permission denied: ${e.path ?? e.message}`;
    case 'ENOENT':
    case 'EISDIR':
    case 'ENOTDIR':
    case 'EROFS':
      return `cannot use ${e.path ?? 'that path'}: ${e.message}`;
    default:
      return undefined;
  }
}
