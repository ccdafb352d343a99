import { resolve } from 'node:path';
import type { Command } from 'commander';
import { addCommonOptions, settingsFlags, type CommonOptions } from '../common-options.js';
import { untilStopped } from '../runtime.js';
import { settingsWarnings } from '../unknown-settings.js';
import { BadInputError } from '../../core/errors.js';
import { createLogger } from '../../core/logging/index.js';
import type { CrawlProgress, CrawlSummary } from '../../standalone/crawl.js';

interface CrawlCommandOptions extends CommonOptions {
  maxdepth: string;
  allowedDomain?: string[];
  output?: string;
  format?: string;
  body: boolean;
  spider: string;
  progress: boolean;
  idleTimeout: string;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function wholeNumber(text: string, name: string, min = 0): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min)
    throw new BadInputError(`${name} must be a whole number >= ${min}, got ${text}`);
  return n;
}

/** `[#####-----] 12 pages · 1 failed · 4 queued · 3.1 pages/s`, redrawn in place on stderr. */
function progressLine(p: CrawlProgress): string {
  const done = p.pages + p.failed;
  const open = Math.max(0, p.pending) + p.inFlight;
  const width = 20;
  const filled = done + open === 0 ? 0 : Math.round((width * done) / (done + open));
  const rate = (done * 1000) / Math.max(1, p.elapsedMs);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${p.pages} pages · ${p.failed} failed · ${Math.max(0, p.pending)} queued · ${p.inFlight} in flight · ${rate.toFixed(1)} pages/s`;
}

function summaryLines(summary: CrawlSummary, target: string): string[] {
  const lines = [
    `Crawled ${summary.pages} page${summary.pages === 1 ? '' : 's'} in ${(summary.elapsedMs / 1000).toFixed(1)} s (crawlid ${summary.crawlid}) → ${target}`,
  ];
  if (!summary.finished) lines.push('The crawl did not finish (idle timeout or interrupted).');
  if (summary.failed > 0) {
    lines.push(`Failed: ${summary.failed} request${summary.failed === 1 ? '' : 's'}, by reason:`);
    for (const [reason, n] of Object.entries(summary.failures).sort(([, a], [, b]) => b - a))
      lines.push(`  ${reason}: ${n}`);
  }
  return lines;
}

/**
 * `scrapy-cluster crawl URL...`: a one-shot crawl as Scrapy's `runspider -o`, on the embedded cluster
 * (or the real servers the settings name). Results go to `-o FILE` as they come (stdout without it),
 * a progress bar to stderr on a terminal, and the exit code says whether every request became a page.
 */
export function registerCrawlCommand(program: Command): void {
  addCommonOptions(
    program
      .command('crawl')
      .description(
        'crawl the given URLs once with the embedded cluster and exit when done (0: every request became a page)',
      )
      .argument('<urls...>', 'start URLs (http or https)')
      .option('--maxdepth <n>', 'follow links this many levels deep', '0')
      .option('--allowed-domain <domain>', 'follow links only to this domain (repeatable)', collect)
      .option('-o, --output <file>', 'write results to this file (default: JSON lines on stdout)')
      .option('--format <format>', 'jsonl, json or csv (default from the file name, else jsonl)')
      .option('--no-body', 'leave the page bodies out of the results')
      .option(
        '--spider <name-or-file>',
        'spider type (link, wandering, sitemap) or a spider file (.js/.mjs)',
        'link',
      )
      .option('--no-progress', 'no progress bar, even on a terminal')
      .option('--idle-timeout <seconds>', 'give up when nothing happened for this long', '300'),
  ).action(async (urls: string[], options: CrawlCommandOptions) => {
    const { crawl } = await import('../../standalone/crawl.js');
    const { CrawlOutput, formatOf } = await import('../../standalone/crawl-output.js');
    const maxDepth = wholeNumber(options.maxdepth, '--maxdepth');
    const idleTimeoutSeconds = wholeNumber(options.idleTimeout, '--idle-timeout', 1);
    const format = formatOf(options.output ?? '', options.format);
    const output = options.output
      ? await CrawlOutput.open(resolve(options.output), format, options.body)
      : undefined;
    const live = options.progress && Boolean(process.stderr.isTTY);
    let shown = false;
    const clear = (): void => {
      if (shown) process.stderr.write('\r\x1b[2K');
      shown = false;
    };
    const logger = createLogger({
      name: 'crawl',
      level: options.logLevel ?? 'WARNING',
      destination: {
        write: (chunk: string) => {
          clear();
          return process.stderr.write(chunk);
        },
      },
    });
    for (const line of await settingsWarnings(options)) logger.warning(line);
    const results = crawl(urls, {
      maxDepth,
      ...(options.allowedDomain ? { allowedDomains: options.allowedDomain } : {}),
      body: options.body,
      spider: options.spider,
      logger,
      idleTimeoutSeconds,
      ...(options.settings ? { settingsFile: options.settings } : {}),
      flags: settingsFlags(options),
      ...(live
        ? {
            onProgress: (p: CrawlProgress) => {
              process.stderr.write(`\r\x1b[2K${progressLine(p)}`);
              shown = true;
            },
          }
        : {}),
    });
    let summary: CrawlSummary | undefined;
    try {
      for (;;) {
        const next = await results.next();
        if (next.done) {
          summary = next.value;
          break;
        }
        if (output) await output.write(next.value);
        else process.stdout.write(`${JSON.stringify(next.value)}\n`);
      }
    } finally {
      clear();
      await output?.close();
      logger.close();
    }
    process.stderr.write(`${summaryLines(summary, output ? output.file : 'stdout').join('\n')}\n`);
    process.exitCode = summary.failed === 0 && summary.finished ? 0 : 1;
  });
}

interface TestwebCommandOptions {
  domains: string;
  pages: string;
  port: string;
  latency: string;
}

/** `scrapy-cluster testweb`: the bundled test web (src/testweb) that the docs and tests crawl. */
export function registerTestwebCommand(program: Command): void {
  program
    .command('testweb')
    .description(
      'serve the bundled multi-site test web on 127.0.0.1 (sites d0.test, d1.test, ...) until Ctrl-C',
    )
    .option('--domains <n>', 'sites', '3')
    .option('--pages <n>', 'pages per site', '20')
    .option('-p, --port <port>', 'port (default: a free one)', '0')
    .option('--latency <ms>', 'delay before every page', '0')
    .action(async (options: TestwebCommandOptions) => {
      const { startTestWeb } = await import('../../testweb/index.js');
      const domains = wholeNumber(options.domains, '--domains', 1);
      const pagesPerDomain = wholeNumber(options.pages, '--pages', 1);
      const port = wholeNumber(options.port, '--port');
      if (port > 65535) throw new BadInputError(`--port must be a port number, got ${port}`);
      const web = await startTestWeb({
        domains,
        pagesPerDomain,
        port,
        latencyMs: wholeNumber(options.latency, '--latency'),
        record: false,
      });
      const sets = [
        `--set 'DNS_OVERRIDES={"*.test":"127.0.0.1"}'`,
        '--set ALLOWED_ADDRESSES=127.0.0.1/32',
      ].join(' ');
      const lines = [
        `Test web on 127.0.0.1:${web.port}: ${domains} site${domains === 1 ? '' : 's'} (${web.host(0)}${domains > 1 ? ` … ${web.host(domains - 1)}` : ''}), ${pagesPerDomain} pages each`,
        `  start page: ${web.url(0, '/')}`,
        '  the *.test names resolve only through DNS_OVERRIDES, and loopback must be allowed:',
        `  scrapy-cluster crawl ${web.url(0, '/')} --maxdepth 1 ${sets} --set QUEUE_HITS=50 --set QUEUE_WINDOW=1`,
        '  Ctrl-C stops.',
      ];
      // The first line is machine-readable for scripts and tests: the port.
      process.stdout.write(`${JSON.stringify({ port: web.port })}\n`);
      process.stderr.write(`${lines.join('\n')}\n`);
      await untilStopped();
      await web.close();
    });
}
