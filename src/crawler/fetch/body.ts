import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import type { Reservation, WaitSignal } from './byte-budget.js';

/** The decoded body passed the size limit (and truncation was not asked for). */
export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`body larger than ${limit} bytes`);
  }
}

/** The body could not be decoded with its Content-Encoding. */
export class BodyDecodeError extends Error {}

export interface ReadBodyOptions {
  /** Content-Encoding header value; decoded when every coding in it is gzip, deflate or br. */
  contentEncoding?: string;
  /** Limit on decoded bytes; 0 means none. */
  maxBytes: number;
  /** Keep the first `maxBytes` bytes instead of failing (robots.txt). */
  truncate?: boolean;
  /** The download's share of the in-flight byte budget: each kept chunk is taken from it first. */
  reservation?: Reservation;
  /** Ends a wait for budget room (the fetch's deadline). */
  signal?: WaitSignal;
}

export interface ReadBody {
  body: Buffer;
  /** Whether Content-Encoding was undone (the header no longer describes `body`). */
  decoded: boolean;
  truncated: boolean;
}

const SUPPORTED = new Set(['gzip', 'x-gzip', 'deflate', 'br']);

/** The codings of a Content-Encoding header in the order they were applied, or undefined if one is unknown. */
export function parseCodings(header: string | undefined): string[] | undefined {
  if (!header) return [];
  const codings = header
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  return codings.every((c) => SUPPORTED.has(c)) ? codings : undefined;
}

/**
 * Reads a response body, undoing its Content-Encoding as a stream so the limit applies to decoded bytes and a
 * decompression bomb is stopped after about `maxBytes` (zlib's output is pulled 16 KiB at a time).
 */
export async function readBody(source: Readable, options: ReadBodyOptions): Promise<ReadBody> {
  const codings = parseCodings(options.contentEncoding);
  const collector = new Collector(
    options.maxBytes,
    options.truncate ?? false,
    options.reservation,
    options.signal,
  );
  if (!codings || codings.length === 0) {
    await collect(source, collector);
    return { body: collector.result(), decoded: false, truncated: collector.truncated };
  }

  let input: Readable = source;
  const first = codings[codings.length - 1];
  let firstChunk: Buffer | undefined;
  if (first === 'deflate') {
    // "deflate" is zlib-wrapped by the standard and raw DEFLATE on some servers; the first bytes tell which.
    ({ input, firstChunk } = await peek(source));
  }
  const decoders = [...codings].reverse().map((c, i) => decoderFor(c, i === 0 ? firstChunk : undefined));
  let failure: Error | undefined;
  try {
    await pipelineAll(input, ...decoders, async (decoded: AsyncIterable<Buffer>) => {
      // Awaiting the collector holds the decoder back (backpressure) while the budget has no room.
      for await (const chunk of decoded) {
        const more = collector.add(chunk);
        if (!(typeof more === 'boolean' ? more : await more)) return;
      }
    });
  } catch (err) {
    failure = err instanceof Error ? err : new Error(String(err));
  }
  if (collector.error) throw collector.error;
  // Stopping early on truncation makes pipeline report a premature close; the bytes kept are what was asked for.
  if (failure !== undefined && !collector.truncated) {
    const zlibError = decoders.some((d) => d.errored === failure);
    if (zlibError) throw new BodyDecodeError(`cannot decode ${codings.join(', ')} body: ${failure.message}`);
    throw failure;
  }
  return { body: collector.result(), decoded: true, truncated: collector.truncated };
}

/**
 * Feeds a stream's chunks to the collector. Plain events with inline listeners are cheaper than async
 * iteration on the hot path; the listeners stay (guarded by `done`) and go away with the stream.
 */
function collect(source: Readable, collector: Collector): Promise<void> {
  return new Promise((resolve, reject) => {
    let done = false;
    // A chunk waiting for budget room; the stream may end meanwhile, and then ends with it.
    let pending = false;
    let ended = false;
    const fail = (err: unknown): void => {
      if (done) return;
      done = true;
      source.destroy();
      reject(err instanceof Error ? err : new Error(String(err)));
    };
    const finish = (): void => {
      if (done) return;
      done = true;
      resolve();
    };
    const settle = (more: boolean): void => {
      if (more || done) return;
      done = true;
      source.destroy();
      resolve();
    };
    source.on('data', (chunk: Buffer) => {
      if (done) return;
      let more: boolean | Promise<boolean>;
      try {
        more = collector.add(chunk);
      } catch (err) {
        return fail(err);
      }
      if (typeof more === 'boolean') return settle(more);
      // No room in the budget yet: stop reading until there is.
      pending = true;
      source.pause();
      more.then(
        (m) => {
          pending = false;
          settle(m);
          if (ended) finish();
          else if (!done) source.resume();
        },
        (err: unknown) => {
          pending = false;
          fail(err);
        },
      );
    });
    source.on('end', () => {
      ended = true;
      if (!pending) finish();
    });
    source.on('error', (err: Error) => {
      if (done) return;
      done = true;
      reject(err);
    });
    source.on('close', () => {
      if (ended) return;
      fail(new Error('body stream closed before its end'));
    });
  });
}

// pipeline's typings have no overload for a spread of transforms.
const pipelineAll = pipeline as (...stages: unknown[]) => Promise<void>;

class Collector {
  private readonly chunks: Buffer[] = [];
  size = 0;
  truncated = false;
  /** Why reading stopped (size limit, budget): pipeline reports only an abort when the consumer throws. */
  error: Error | undefined;

  constructor(
    private readonly maxBytes: number,
    private readonly truncate: boolean,
    private readonly reservation: Reservation | undefined,
    private readonly signal: WaitSignal | undefined,
  ) {}

  /** False when reading should stop; a promise of that when the chunk waits for room in the byte budget. */
  add(chunk: Buffer): boolean | Promise<boolean> {
    const room = this.maxBytes > 0 ? this.maxBytes - this.size : Infinity;
    if (chunk.length <= room) {
      let wait;
      try {
        wait = this.reservation?.take(chunk.length, this.signal);
      } catch (err) {
        this.error = err instanceof Error ? err : new Error(String(err));
        throw err;
      }
      if (!wait) return this.keep(chunk);
      return wait.then(
        () => this.keep(chunk),
        (err: unknown) => {
          this.error = err instanceof Error ? err : new Error(String(err));
          throw err;
        },
      );
    }
    if (!this.truncate) {
      this.error = new BodyTooLarge(this.maxBytes);
      throw this.error;
    }
    if (room > 0) this.chunks.push(chunk.subarray(0, room));
    this.size = this.maxBytes;
    this.truncated = true;
    return false;
  }

  private keep(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    this.size += chunk.length;
    return true;
  }

  result(): Buffer {
    if (this.chunks.length === 1) return this.chunks[0]!;
    return Buffer.concat(this.chunks, this.size);
  }
}

function decoderFor(coding: string, firstChunk: Buffer | undefined): Transform {
  // Lenient flushing accepts a body cut short, as browsers (and Scrapy) do.
  const zlibOptions = { finishFlush: zlib.constants.Z_SYNC_FLUSH };
  switch (coding) {
    case 'br':
      return zlib.createBrotliDecompress({ finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH });
    case 'deflate':
      return firstChunk !== undefined && !isZlibHeader(firstChunk)
        ? zlib.createInflateRaw(zlibOptions)
        : zlib.createInflate(zlibOptions);
    default:
      return zlib.createGunzip(zlibOptions);
  }
}

function isZlibHeader(chunk: Buffer): boolean {
  const cmf = chunk[0];
  const flg = chunk[1];
  if (cmf === undefined || flg === undefined) return true;
  return (cmf & 0x0f) === 8 && (cmf * 256 + flg) % 31 === 0;
}

/** Reads the first chunk, then gives back a stream that replays it before the rest. */
async function peek(source: Readable): Promise<{ input: Readable; firstChunk: Buffer | undefined }> {
  const iterator = (source as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const head = await iterator.next();
  if (head.done) return { input: Readable.from([]), firstChunk: undefined };
  async function* replay(): AsyncGenerator<Buffer> {
    try {
      yield head.value;
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield next.value;
      }
    } finally {
      source.destroy();
    }
  }
  return { input: Readable.from(replay(), { objectMode: false }), firstChunk: head.value };
}
