import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BodyTooLarge, readBody } from '../../src/crawler/fetch/body.js';
import { BudgetExceeded, ByteBudget } from '../../src/crawler/fetch/byte-budget.js';
import { Fetcher, FetchError } from '../../src/crawler/fetch/index.js';
import { startTestWeb, type TestWeb } from '../../src/testweb/index.js';

const MiB = 2 ** 20;

/** A stream of `chunks` chunks of `size` bytes, each produced only when asked for (counted in `produced`). */
function lazySource(chunks: number, size: number) {
  const state = { produced: 0 };
  const stream = Readable.from(
    (function* () {
      for (let i = 0; i < chunks; i++) {
        state.produced += size;
        yield Buffer.alloc(size, 1);
      }
    })(),
    { objectMode: false, highWaterMark: size },
  );
  return { stream, state };
}

async function settled(promise: unknown): Promise<'pending' | 'done' | 'failed'> {
  let state: 'pending' | 'done' | 'failed' = 'pending';
  Promise.resolve(promise).then(
    () => (state = 'done'),
    () => (state = 'failed'),
  );
  await new Promise((r) => setImmediate(r));
  return state;
}

describe('ByteBudget', () => {
  it('grants while there is room, then makes takers wait in order until bytes are released', async () => {
    const budget = new ByteBudget(100);
    const a = budget.open();
    const b = budget.open();
    const c = budget.open();
    expect(a.take(60)).toBeUndefined();
    expect(b.take(30)).toBeUndefined();
    expect(budget.inUse).toBe(90);
    const cWaits = c.take(20);
    const bWaits = b.take(5); // behind c, although it would fit: no starvation of larger takers
    expect(await settled(cWaits)).toBe('pending');
    expect(await settled(bWaits)).toBe('pending');
    a.release();
    expect(await settled(cWaits)).toBe('done');
    expect(await settled(bWaits)).toBe('done');
    expect(budget.inUse).toBe(55);
    b.release();
    c.release();
    expect(budget.inUse).toBe(0);
    expect(budget.waiting).toBe(0);
  });

  it('fails at once a body that alone passes the budget', () => {
    const budget = new ByteBudget(100);
    const r = budget.open();
    expect(r.take(80)).toBeUndefined();
    expect(() => r.take(21)).toThrow(BudgetExceeded);
    r.release();
    expect(budget.inUse).toBe(0);
  });

  it('breaks a standstill: when every holder waits, the biggest fails and the others go on', async () => {
    const budget = new ByteBudget(100);
    const big = budget.open();
    const small = budget.open();
    void big.take(60);
    void small.take(40);
    const bigWaits = big.take(30);
    // Still one holder reading (small): no standstill yet.
    expect(await settled(bigWaits)).toBe('pending');
    const smallWaits = small.take(30);
    await expect(bigWaits).rejects.toMatchObject({ kind: 'exhausted' });
    expect(await settled(smallWaits)).toBe('done');
    expect(small.bytes).toBe(70);
    expect(budget.inUse).toBe(70);
    big.release(); // the failed download releases as usual: nothing more to free
    expect(budget.inUse).toBe(70);
    small.release();
    expect(budget.inUse).toBe(0);
  });

  it('ends a wait when its signal aborts, and lets the next waiter in', async () => {
    const budget = new ByteBudget(10);
    const a = budget.open();
    const b = budget.open();
    const c = budget.open();
    void a.take(8);
    const controller = new AbortController();
    const bWaits = b.take(5, controller.signal);
    const cWaits = c.take(2);
    expect(await settled(cWaits)).toBe('pending'); // in order: behind b
    controller.abort(new Error('deadline'));
    await expect(bWaits).rejects.toThrow('deadline');
    expect(await settled(cWaits)).toBe('done');
    expect(budget.inUse).toBe(10);
  });

  it('with total 0 has no limit', () => {
    const budget = new ByteBudget(0);
    const r = budget.open();
    expect(r.take(10 * 2 ** 30)).toBeUndefined();
    r.release();
  });
});

describe('readBody under a budget', () => {
  it('pauses a plain body while the budget is full and finishes it once room is freed', async () => {
    const budget = new ByteBudget(64 * 1024);
    const other = budget.open();
    void other.take(60 * 1024);
    const { stream, state } = lazySource(16, 16 * 1024);
    const reservation = budget.open();
    const reading = readBody(stream, { maxBytes: 0, reservation });
    await new Promise((r) => setTimeout(r, 50));
    expect(await settled(reading)).toBe('pending');
    // Backpressure: the reader stopped pulling instead of buffering the whole body.
    expect(state.produced).toBeLessThan(16 * 16 * 1024);
    other.release();
    // 256 KiB does not fit a 64 KiB budget: the body fails cleanly rather than waiting forever.
    await expect(reading).rejects.toBeInstanceOf(BudgetExceeded);
    reservation.release();
    expect(budget.inUse).toBe(0);
  });

  it('reads a body that fits once the other download is done', async () => {
    const budget = new ByteBudget(64 * 1024);
    const other = budget.open();
    void other.take(60 * 1024);
    const { stream } = lazySource(3, 16 * 1024);
    const reservation = budget.open();
    const reading = readBody(stream, { maxBytes: 0, reservation });
    setTimeout(() => other.release(), 30);
    const read = await reading;
    expect(read.body.length).toBe(48 * 1024);
    expect(reservation.bytes).toBe(48 * 1024);
    reservation.release();
  });

  it('stops decoding a gzip bomb at the decoded limit, pulling little of the compressed input', async () => {
    // 1 GiB of zeros as repeated gzip members of 64 KiB each (~64 bytes apiece on the wire).
    const member = zlib.gzipSync(Buffer.alloc(64 * 1024));
    let sent = 0;
    const bomb = Readable.from(
      (function* () {
        for (let i = 0; i < 16 * 1024; i++) {
          sent += member.length;
          yield member;
        }
      })(),
      { objectMode: false },
    );
    const budget = new ByteBudget(64 * MiB);
    const reservation = budget.open();
    await expect(
      readBody(bomb, { contentEncoding: 'gzip', maxBytes: 10 * MiB, reservation }),
    ).rejects.toBeInstanceOf(BodyTooLarge);
    // Decoded bytes held never passed the limit, and the input was read only a little past it.
    expect(reservation.bytes).toBeLessThanOrEqual(10 * MiB);
    expect(sent).toBeLessThan(member.length * 1024);
    reservation.release();
  });

  it('stops a brotli bomb at the decoded limit', async () => {
    const compressed = zlib.brotliCompressSync(Buffer.alloc(16 * MiB));
    const budget = new ByteBudget(64 * MiB);
    const reservation = budget.open();
    await expect(
      readBody(Readable.from([compressed]), { contentEncoding: 'br', maxBytes: 2 * MiB, reservation }),
    ).rejects.toBeInstanceOf(BodyTooLarge);
    expect(reservation.bytes).toBeLessThanOrEqual(2 * MiB);
    reservation.release();
  });
});

describe('Fetcher with DOWNLOAD_MAXSIZE_TOTAL', () => {
  let web: TestWeb;
  beforeAll(async () => {
    web = await startTestWeb({ domains: 1, pagesPerDomain: 2 });
  });
  afterAll(async () => {
    await web.close();
  });

  it('fails too-large (not retryable) a page larger than the budget, and frees its bytes', async () => {
    const f = new Fetcher({
      ...web.fetcherSettings(),
      ROBOTSTXT_OBEY: false,
      DOWNLOAD_MAXSIZE: 4 * MiB,
      DOWNLOAD_MAXSIZE_TOTAL: 1 * MiB,
    });
    try {
      const err = await f
        .fetch({ url: web.url(0, `/big?bytes=${2 * MiB}&encoding=gzip`) })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FetchError);
      expect((err as FetchError).reason).toBe('too-large');
      expect((err as FetchError).retryable).toBe(false);
      expect((err as FetchError).message).toContain('DOWNLOAD_MAXSIZE_TOTAL');
      expect(f.budget.inUse).toBe(0);
      const ok = await f.fetch({ url: web.url(0, `/big?bytes=${512 * 1024}`) });
      expect(ok.body.length).toBe(512 * 1024);
      expect(f.budget.inUse).toBe(0);
    } finally {
      await f.close();
    }
  });

  it('takes nothing from the budget for a HEAD answer, whatever length it declares', async () => {
    const f = new Fetcher({
      ...web.fetcherSettings(),
      ROBOTSTXT_OBEY: false,
      DOWNLOAD_MAXSIZE: 4 * MiB,
      DOWNLOAD_MAXSIZE_TOTAL: 1 * MiB,
    });
    try {
      const res = await f.fetch({ url: web.url(0, `/big?bytes=${2 * MiB}`), method: 'HEAD' });
      expect(res.status).toBe(200);
      expect(res.body.length).toBe(0);
      expect(f.budget.inUse).toBe(0);
    } finally {
      await f.close();
    }
  });

  it('lets concurrent bodies larger together than the budget all finish, one after another', async () => {
    const f = new Fetcher({
      ...web.fetcherSettings(),
      ROBOTSTXT_OBEY: false,
      DOWNLOAD_MAXSIZE_TOTAL: 1 * MiB,
    });
    try {
      const bodies = await Promise.all(
        Array.from({ length: 6 }, () => f.fetch({ url: web.url(0, `/big?bytes=${400 * 1024}`) })),
      );
      expect(bodies.map((b) => b.body.length)).toEqual(Array(6).fill(400 * 1024));
      expect(f.budget.inUse).toBe(0);
    } finally {
      await f.close();
    }
  });
});
