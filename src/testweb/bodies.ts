import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { simplePage } from './pages.js';

/** Text inside the /gzip, /deflate, /deflate-raw and /br pages, to check decoding. */
export const COMPRESSED_MARKER = 'compressed-marker: this body was decoded';

const compressedHtml = Buffer.from(
  simplePage(
    'Compressed body',
    `<p>${COMPRESSED_MARKER}</p>` + '<p>Repeated to compress well.</p>'.repeat(50),
  ),
);

/** The sample page in each Content-Encoding the test web offers, computed once. */
export const COMPRESSED: Record<string, { encoding: string; body: Buffer }> = {
  '/gzip': { encoding: 'gzip', body: zlib.gzipSync(compressedHtml) },
  '/deflate': { encoding: 'deflate', body: zlib.deflateSync(compressedHtml) },
  // Some servers send raw DEFLATE under "deflate"; clients are expected to cope.
  '/deflate-raw': { encoding: 'deflate', body: zlib.deflateRawSync(compressedHtml) },
  '/br': { encoding: 'br', body: zlib.brotliCompressSync(compressedHtml) },
  // Declared gzip, but not gzip at all.
  '/bad-gzip': { encoding: 'gzip', body: Buffer.from('this is not gzip data, only text that claims to be') },
};

const CHUNK = 64 * 1024;
const FILLER_CHUNK = Buffer.alloc(CHUNK, 'x');
let gzipMember: Buffer | undefined;

/** Waits until the response can take more data, or reports that the client went away. */
function drained(res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    res.on('drain', onDrain);
    res.on('close', onClose);
  });
}

async function writeAll(res: ServerResponse, chunks: Iterable<Buffer>): Promise<void> {
  for (const chunk of chunks) {
    if (res.destroyed) return;
    if (!res.write(chunk) && !(await drained(res))) return;
  }
  res.end();
}

function* filler(bytes: number, chunk: Buffer): Generator<Buffer> {
  let left = bytes;
  while (left > 0) {
    const n = Math.min(left, chunk.length);
    yield n === chunk.length ? chunk : chunk.subarray(0, n);
    left -= n;
  }
}

/**
 * /big?bytes=N[&encoding=gzip|deflate|br]: N bytes (decoded) streamed with backpressure. gzip is a chain of
 * identical gzip members, each 64 KiB of zeros, so a gigabyte "bomb" costs the server almost nothing.
 */
export function sendBig(res: ServerResponse, bytes: number, encoding: string | null): void {
  if (encoding === 'gzip') {
    gzipMember ??= zlib.gzipSync(Buffer.alloc(CHUNK));
    const whole = Math.floor(bytes / CHUNK);
    const rest = bytes % CHUNK;
    const tail = rest > 0 ? zlib.gzipSync(Buffer.alloc(rest)) : Buffer.alloc(0);
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-encoding': 'gzip',
      'content-length': whole * gzipMember.length + tail.length,
    });
    const member = gzipMember;
    void writeAll(
      res,
      (function* () {
        for (let i = 0; i < whole; i++) yield member;
        if (tail.length > 0) yield tail;
      })(),
    );
    return;
  }
  if (encoding === 'br' || encoding === 'deflate') {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-encoding': encoding });
    const compressor =
      encoding === 'br'
        ? zlib.createBrotliCompress({ params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 1 } })
        : zlib.createDeflate({ level: 1 });
    pipeline(Readable.from(filler(bytes, Buffer.alloc(CHUNK))), compressor, res).catch(() => undefined);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': bytes });
  void writeAll(res, filler(bytes, FILLER_CHUNK));
}

/** A 1×1 transparent PNG. */
export const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

/** A minimal (not renderable) PDF: only the type matters to a crawler. */
export const PDF = Buffer.from('%PDF-1.4\n% test web document\n%%EOF\n');
