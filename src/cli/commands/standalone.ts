import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { addCommonOptions, settingsFlags, type CommonOptions } from '../common-options.js';
import { untilStopped } from '../runtime.js';
import { settingsWarnings } from '../unknown-settings.js';
import { BadInputError } from '../../core/errors.js';

interface StandaloneCommandOptions extends CommonOptions {
  output?: string;
  port?: string;
  bind?: string;
  spider: string;
  graceSeconds: string;
}

function parsePort(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new BadInputError(`--port must be a port number (0-65535), got ${text}`);
  return port;
}

/** `scrapy-cluster standalone`: the whole cluster in one process. */
export function registerStandaloneCommand(program: Command): void {
  addCommonOptions(
    program
      .command('standalone')
      .description(
        'run Kafka Monitor, Redis Monitor, crawler and REST service in one process (in memory unless REDIS_HOST, KAFKA_HOSTS, ZOOKEEPER_HOSTS are set)',
      )
      .option('-o, --output <file>', 'append one JSON crawl result per line to this file')
      .option('-p, --port <port>', 'REST port (default FLASK_PORT, 5343)')
      .option('--bind <address>', 'REST address (default REST_BIND, 127.0.0.1 in standalone)')
      .option(
        '--spider <name-or-file>',
        'spider type (link, wandering, sitemap) or a spider file (.js/.mjs)',
        'link',
      )
      .option('--grace-seconds <seconds>', 'on Ctrl-C, how long requests in flight may finish', '5'),
  ).action(async (options: StandaloneCommandOptions) => {
    const { startStandalone } = await import('../../standalone/cluster.js');
    const port = parsePort(options.port);
    for (const line of await settingsWarnings(options)) process.stderr.write(`warning: ${line}\n`);
    const cluster = await startStandalone({
      ...(options.settings ? { settingsFile: options.settings } : {}),
      flags: settingsFlags(options),
      ...(options.output ? { output: resolve(options.output) } : {}),
      ...(port !== undefined ? { port } : {}),
      ...(options.bind ? { host: options.bind } : {}),
      spider: options.spider,
      graceSeconds: Number(options.graceSeconds),
    });
    const { backends, url } = cluster;
    const lines = [
      `Scrapy Cluster standalone: REST on ${url}`,
      `  store: ${backends.store}, bus: ${backends.bus}, domain config: ${backends.config === 'memory' ? 'embedded node' : 'ZooKeeper'}`,
      `  streams: ${url}/stream/crawled, ${url}/stream/outbound`,
      ...(options.output ? [`  results: ${resolve(options.output)}`] : []),
      `  try: curl -X POST ${url}/feed -H 'Content-Type: application/json' -d '{"url": "https://example.com", "appid": "testapp", "crawlid": "abc123"}'`,
      '  Ctrl-C stops.',
    ];
    process.stderr.write(`${lines.join('\n')}\n`);
    await untilStopped();
    process.stderr.write('Stopping...\n');
    await cluster.close();
  });
}

interface DemoCommandOptions {
  domains: string;
  pages: string;
  verbose?: boolean;
  progress?: boolean;
}

/** `scrapy-cluster demo` (`npm run demo`): a guided crawl on a local test web, no servers needed. */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'crawl a bundled local test web with the in-memory cluster and show what happens (no servers)',
    )
    .addOption(new Option('--domains <n>', 'test web sites').default('6'))
    .addOption(new Option('--pages <n>', 'pages per site').default('60'))
    .option('--verbose', 'print the components’ log lines (WARNING and up) as they happen')
    .option('--no-progress', 'plain lines instead of the live progress line, even on a terminal')
    .action(async (options: DemoCommandOptions) => {
      const { runDemo } = await import('../../standalone/demo.js');
      const domains = Number(options.domains);
      const pages = Number(options.pages);
      if (!Number.isInteger(domains) || domains < 3 || domains > 50)
        throw new BadInputError('--domains must be a whole number from 3 to 50');
      if (!Number.isInteger(pages) || pages < 5 || pages > 500)
        throw new BadInputError('--pages must be a whole number from 5 to 500');
      const ok = await runDemo({
        domains,
        pagesPerDomain: pages,
        verbose: options.verbose ?? false,
        live: (options.progress ?? true) && Boolean(process.stdout.isTTY) && !process.env.CI,
      });
      process.exitCode = ok ? 0 : 1;
    });
}
