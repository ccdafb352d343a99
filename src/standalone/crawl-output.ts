import { open, type FileHandle } from 'node:fs/promises';
import { BadInputError, errorMessage } from '../core/errors.js';
import type { CrawlResult } from './crawl.js';

export type OutputFormat = 'jsonl' | 'json' | 'csv';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['jsonl', 'json', 'csv'];

/** The format a file name implies (`.json`, `.csv`, anything else JSON lines), as Scrapy's `-o`. */
export function formatOf(file: string, explicit?: string): OutputFormat {
  if (explicit !== undefined) {
    if (!(OUTPUT_FORMATS as readonly string[]).includes(explicit))
      throw new BadInputError(`--format must be one of ${OUTPUT_FORMATS.join(', ')}, got ${explicit}`);
    return explicit as OutputFormat;
  }
  if (/\.json$/i.test(file)) return 'json';
  if (/\.csv$/i.test(file)) return 'csv';
  return 'jsonl';
}

/** CSV columns: the scalar fields of a result, the error split in two, the body last (when kept). */
export const CSV_COLUMNS = [
  'url',
  'response_url',
  'status_code',
  'status_msg',
  'appid',
  'crawlid',
  'encoding',
  'error_reason',
  'error_message',
  'body',
] as const;

function csvCell(value: unknown): string {
  let text = '';
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number' || typeof value === 'boolean') text = String(value);
  else if (value !== undefined && value !== null) text = JSON.stringify(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csvRow(result: CrawlResult, withBody: boolean): string {
  const cells: Record<(typeof CSV_COLUMNS)[number], unknown> = {
    url: result.url,
    response_url: result.response_url,
    status_code: result.status_code,
    status_msg: result.status_msg,
    appid: result.appid,
    crawlid: result.crawlid,
    encoding: result.encoding,
    error_reason: result.error?.reason,
    error_message: result.error?.message,
    body: result.body,
  };
  return CSV_COLUMNS.filter((c) => withBody || c !== 'body')
    .map((c) => csvCell(cells[c]))
    .join(',');
}

/**
 * Writes crawl results to a file as they arrive: one JSON object per line, a JSON array (closed by
 * `close`), or CSV with a header. The file is created (truncated) when opened, so an unwritable path
 * fails before the crawl starts.
 */
export class CrawlOutput {
  private count = 0;

  private constructor(
    private readonly handle: FileHandle,
    readonly file: string,
    readonly format: OutputFormat,
    private readonly withBody: boolean,
  ) {}

  static async open(file: string, format: OutputFormat, withBody: boolean): Promise<CrawlOutput> {
    let handle: FileHandle;
    try {
      handle = await open(file, 'w');
    } catch (err) {
      throw new BadInputError(`cannot write --output ${file}: ${errorMessage(err)}`);
    }
    const output = new CrawlOutput(handle, file, format, withBody);
    if (format === 'json') await handle.write('[');
    if (format === 'csv')
      await handle.write(`${CSV_COLUMNS.filter((c) => withBody || c !== 'body').join(',')}\n`);
    return output;
  }

  get written(): number {
    return this.count;
  }

  async write(result: CrawlResult): Promise<void> {
    let text: string;
    if (this.format === 'jsonl') text = `${JSON.stringify(result)}\n`;
    else if (this.format === 'json') text = `${this.count === 0 ? '\n' : ',\n'}${JSON.stringify(result)}`;
    else text = `${csvRow(result, this.withBody)}\n`;
    await this.handle.write(text);
    this.count++;
  }

  async close(): Promise<void> {
    if (this.format === 'json') await this.handle.write(this.count === 0 ? ']\n' : '\n]\n');
    await this.handle.close();
  }
}
