import { afterEach, describe, expect, it, vi } from 'vitest';
import { TimeoutError } from '../../src/core/errors.js';
import { timeout, withTimeout } from '../../src/core/method-timer.js';

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    });
  });
}

afterEach(() => {
  vi.useRealTimers();
});

describe('withTimeout', () => {
  it('returns the result when the function finishes in time and clears its timer', async () => {
    vi.useFakeTimers();
    const pending = withTimeout(async () => 'finished!', 3, 'did not finish');
    await expect(pending).resolves.toBe('finished!');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('returns the fallback when the limit passes and aborts the signal', async () => {
    let seen: AbortSignal | undefined;
    const result = await withTimeout(
      async (signal) => {
        seen = signal;
        await sleep(5_000, signal);
        return 'finished!';
      },
      0.05,
      'did not finish',
    );
    expect(result).toBe('did not finish');
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toBeInstanceOf(TimeoutError);
  });

  it('does not abort the signal when the function wins', async () => {
    let seen: AbortSignal | undefined;
    await withTimeout(
      async (signal) => {
        seen = signal;
        await sleep(5);
        return 1;
      },
      1,
      0,
    );
    expect(seen?.aborted).toBe(false);
  });

  it('passes errors from the function through', async () => {
    await expect(
      withTimeout(
        async () => {
          throw new Error('broken');
        },
        1,
        'x',
      ),
    ).rejects.toThrow('broken');
    const syncThrow = (() => {
      throw new Error('sync');
    }) as () => Promise<string>;
    await expect(withTimeout(syncThrow, 1, 'x')).rejects.toThrow('sync');
  });

  it('rejects a negative or non-numeric limit', () => {
    expect(() => withTimeout(async () => 1, -1, 0)).toThrow(RangeError);
    expect(() => withTimeout(async () => 1, Number.NaN, 0)).toThrow(RangeError);
  });
});

describe('timeout (decorator form)', () => {
  it('passes arguments through', async () => {
    const add = timeout(1, -1)(async (_signal, a: number, b: number) => a + b);
    await expect(add(2, 3)).resolves.toBe(5);
  });

  it('returns the fallback for slow calls', async () => {
    const slow = timeout(
      0.05,
      'timeout',
    )(async (signal, ms: number) => {
      await sleep(ms, signal).catch(() => undefined);
      return 'done';
    });
    await expect(slow(5_000)).resolves.toBe('timeout');
    await expect(slow(1)).resolves.toBe('done');
  });
});
