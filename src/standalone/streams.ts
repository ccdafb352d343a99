import { createWriteStream, type WriteStream } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Bus, BusMessage, Subscription } from '../core/bus/index.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logging/index.js';

export type StreamName = 'crawled' | 'outbound';

type Listener = (message: BusMessage) => void;

/**
 * Fans the crawled and outbound firehoses out to in-process listeners: the `--output` file and the
 * Server-Sent Events clients of `/stream/crawled` and `/stream/outbound`. Reads with a private consumer
 * group from the newest record, so every listener sees what arrives after it joined.
 */
export class StreamHub {
  private readonly listeners: Record<StreamName, Set<Listener>> = { crawled: new Set(), outbound: new Set() };
  private subscription: Subscription | undefined;
  private output: WriteStream | undefined;
  private outputError: Error | undefined;
  /** Records written to the output file. */
  written = 0;

  constructor(
    private readonly bus: Bus,
    readonly topics: Record<StreamName, string>,
    private readonly logger: Logger,
  ) {}

  async start(outputFile?: string): Promise<void> {
    if (outputFile) {
      const output = createWriteStream(outputFile, { flags: 'a' });
      output.on('error', (err) => {
        this.outputError = err;
        this.logger.error('Unable to write crawl results', { file: outputFile, error: errorMessage(err) });
      });
      await new Promise<void>((resolve, reject) => {
        output.once('open', () => resolve());
        output.once('error', reject);
      });
      this.output = output;
      this.on('crawled', (message) => {
        if (!this.outputError) output.write(`${message.value}\n`);
        this.written++;
      });
    }
    const names = Object.keys(this.topics) as StreamName[];
    const byTopic = new Map(names.map((name) => [this.topics[name], name]));
    this.subscription = await this.bus.subscribe({
      topics: names.map((name) => this.topics[name]),
      fromBeginning: false,
      handler: async (messages) => {
        for (const message of messages) {
          const name = byTopic.get(message.topic);
          if (!name) continue;
          for (const listener of this.listeners[name]) {
            try {
              listener(message);
            } catch (err) {
              this.logger.warning('Stream listener failed', { stream: name, error: errorMessage(err) });
            }
          }
        }
      },
      onError: (err) => this.logger.warning('Stream consumer problem', { error: errorMessage(err) }),
    });
    await this.subscription.ready;
  }

  /** Calls `listener` with every record of the stream from now on; returns the unsubscribe function. */
  on(name: StreamName, listener: Listener): () => void {
    this.listeners[name].add(listener);
    return () => void this.listeners[name].delete(listener);
  }

  get clients(): number {
    return this.listeners.crawled.size + this.listeners.outbound.size - (this.output ? 1 : 0);
  }

  async close(): Promise<void> {
    await this.subscription?.close().catch(() => undefined);
    this.subscription = undefined;
    const output = this.output;
    this.output = undefined;
    if (output) await new Promise<void>((resolve) => output.end(() => resolve()));
  }
}

const KEEPALIVE_MS = 15_000;

/**
 * `GET /stream/crawled` and `GET /stream/outbound`: Server-Sent Events, one `data:` line per record (the
 * topic's JSON as is), `event: crawled|outbound`, `id: <partition>-<offset>`. Optional query filters
 * `appid` and `crawlid` (or `uuid` for outbound) keep only the matching records. A comment line is sent
 * every 15 s so proxies keep the connection open.
 */
export function registerStreamRoutes(app: FastifyInstance, hub: StreamHub): void {
  for (const name of ['crawled', 'outbound'] as const) {
    app.get(`/stream/${name}`, (request, reply) => {
      const query = (request.query ?? {}) as Record<string, string | undefined>;
      const filters = (['appid', 'crawlid', 'uuid'] as const)
        .filter((key) => typeof query[key] === 'string' && query[key] !== '')
        .map((key) => [key, query[key]!] as const);
      const headers: Record<string, string> = {};
      for (const [key, value] of Object.entries(reply.getHeaders()))
        if (value !== undefined) headers[key] = String(value);
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        ...headers,
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      raw.write(`: scrapy-cluster ${name} stream\n\n`);
      const off = hub.on(name, (message) => {
        if (filters.length > 0) {
          let record: Record<string, unknown>;
          try {
            record = JSON.parse(message.value) as Record<string, unknown>;
          } catch {
            return;
          }
          if (!filters.every(([key, value]) => String(record[key]) === value)) return;
        }
        const data = message.value.split(/\r?\n/).join('\ndata: ');
        raw.write(`event: ${name}\nid: ${message.partition}-${message.offset}\ndata: ${data}\n\n`);
      });
      const keepalive = setInterval(() => raw.write(': keepalive\n\n'), KEEPALIVE_MS);
      keepalive.unref();
      const done = (): void => {
        off();
        clearInterval(keepalive);
      };
      raw.once('close', done);
      request.raw.once('close', done);
    });
  }
}
