import type { Command } from 'commander';
import { errorMessage } from '../../core/errors.js';
// The ZooKeeper client is loaded only when the command runs: other commands (a Kafka Monitor) do not pay
// for it.
import { DEFAULT_CONFIG_ID, DEFAULT_CONFIG_PATH } from '../../core/zookeeper/paths.js';

interface PushCliOptions {
  file?: string;
  zooKeeper?: string;
  path: string;
  id: string;
  wipe: boolean;
  timeout: string;
}

/**
 * Adds `zookeeper push` (the original's crawler/config/file_pusher.py, same short flags). Failures end
 * the command through commander's `error()` with exit code 1 and one line, never a stack trace.
 */
export function registerZookeeperCommands(program: Command): Command {
  const zookeeper = program.command('zookeeper').description('ZooKeeper utilities (crawler configuration)');
  zookeeper
    .command('push')
    .description('push a crawler config file (YAML) into ZooKeeper, or wipe it')
    .option('-f, --file <file>', 'the config file to push (not needed with --wipe)')
    .option(
      '-z, --zoo-keeper <hosts>',
      'the ZooKeeper connection <host>:<port>[,...] (default: ZOOKEEPER_HOSTS, else localhost:2181)',
    )
    .option('-p, --path <path>', 'the parent path of the config node', DEFAULT_CONFIG_PATH)
    .option('-i, --id <id>', "the spider id the config is for, or 'all'", DEFAULT_CONFIG_ID)
    .option('-w, --wipe', 'empty the config node: crawlers revert to their default throttles', false)
    .option('-t, --timeout <seconds>', 'connection and request timeout in seconds', '10')
    .action(async (opts: PushCliOptions, command: Command) => {
      const fail = (message: string): never =>
        command.error(`error: ${message}`, { exitCode: 1, code: 'scrapy-cluster.zookeeper.push' });
      if (!opts.file && !opts.wipe) fail('option -f, --file <file> is required unless --wipe is given');
      const seconds = Number(opts.timeout);
      if (!Number.isFinite(seconds) || seconds <= 0) fail(`invalid --timeout: ${opts.timeout}`);
      let line: string;
      try {
        const { pushConfig } = await import('../../core/zookeeper/pusher.js');
        const result = await pushConfig({
          hosts: opts.zooKeeper ?? (process.env.ZOOKEEPER_HOSTS?.trim() || 'localhost:2181'),
          path: opts.path,
          id: opts.id,
          wipe: opts.wipe,
          timeoutMs: Math.round(seconds * 1000),
          ...(opts.file ? { file: opts.file } : {}),
        });
        line =
          result.action === 'wiped'
            ? `wiped config node ${result.node}`
            : `${result.action} config node ${result.node} (${result.bytes} bytes)`;
      } catch (err) {
        return fail(errorMessage(err));
      }
      const output = command.configureOutput();
      if (output.writeOut) output.writeOut(`${line}\n`);
      else process.stdout.write(`${line}\n`);
    });
  return zookeeper;
}
