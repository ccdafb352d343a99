import { describe, expect, it } from 'vitest';
import { HandlerSet } from '../../src/core/zookeeper/handlers.js';
import { WatchState } from '../../src/core/zookeeper/state.js';

function recorder() {
  const calls: string[] = [];
  const handlers = {
    validHandler: (valid: boolean) => void calls.push(`valid:${valid}`),
    configHandler: (contents: string) => void calls.push(`config:${contents}`),
    errorHandler: (message: string) => void calls.push(`error:${message}`),
  };
  return { calls, handlers };
}

describe('HandlerSet', () => {
  it('reports a throwing config or valid handler through the error handler', () => {
    const errors: string[] = [];
    const set = new HandlerSet({
      configHandler: () => {
        throw new Error('bad yaml');
      },
      validHandler: () => {
        throw new Error('boom');
      },
      errorHandler: (m) => void errors.push(m),
    });
    expect(() => set.config('x')).not.toThrow();
    expect(() => set.valid(true)).not.toThrow();
    expect(errors).toEqual(['configHandler failed: bad yaml', 'validHandler failed: boom']);
  });

  it('reports a rejected promise from an async handler', async () => {
    const errors: string[] = [];
    const set = new HandlerSet({
      // eslint-disable-next-line @typescript-eslint/no-misused-promises -- an async handler is the point here
      configHandler: () => Promise.reject(new Error('async boom')),
      errorHandler: (m) => void errors.push(m),
    });
    set.config('x');
    await new Promise((r) => setImmediate(r));
    expect(errors).toEqual(['configHandler failed: async boom']);
  });

  it('swallows a throwing error handler and tolerates missing handlers', () => {
    const set = new HandlerSet({
      configHandler: () => {
        throw new Error('first');
      },
      errorHandler: () => {
        throw new Error('second');
      },
    });
    expect(() => set.config('x')).not.toThrow();
    expect(() => set.error('y')).not.toThrow();
    const empty = new HandlerSet({});
    expect(() => (empty.valid(true), empty.config('x'), empty.error('y'))).not.toThrow();
  });
});

describe('WatchState', () => {
  it('reports contents once per real change, config before valid, like the original', () => {
    const { calls, handlers } = recorder();
    const state = new WatchState(new HandlerSet(handlers));
    state.accept('a');
    state.accept('a');
    state.accept('b');
    expect(calls).toEqual(['config:a', 'valid:true', 'config:b']);
    expect(state.fileContents()).toBe('b');
  });

  it('does not report an empty node at start (the baseline is the empty string)', () => {
    const { calls, handlers } = recorder();
    const state = new WatchState(new HandlerSet(handlers));
    state.accept('');
    expect(calls).toEqual(['valid:true']);
  });

  it('keeps the contents while invalid and does not re-report them after recovering', () => {
    const { calls, handlers } = recorder();
    const state = new WatchState(new HandlerSet(handlers));
    state.accept('a');
    state.invalidate('Connection interrupted');
    state.invalidate('still down');
    expect(state.fileContents()).toBe('a');
    expect(state.isValid()).toBe(false);
    state.accept('a');
    expect(calls).toEqual([
      'config:a',
      'valid:true',
      'valid:false',
      'error:Connection interrupted',
      'error:still down',
      'valid:true',
    ]);
  });

  it('calls nothing after stop(), even when a handler stops it mid-report', () => {
    const calls: string[] = [];
    const state: WatchState = new WatchState(
      new HandlerSet({
        configHandler: (c) => {
          calls.push(`config:${c}`);
          state.stop();
        },
        validHandler: (v) => void calls.push(`valid:${v}`),
      }),
    );
    state.accept('a');
    state.accept('b');
    state.invalidate('x');
    expect(calls).toEqual(['config:a']);
    expect(state.isValid()).toBe(false);
  });

  it('remembers the pointer separately', () => {
    const state = new WatchState(new HandlerSet({}));
    state.setPointer('/tmp/myconfig');
    state.accept('contents');
    expect(state.pointerContents()).toBe('/tmp/myconfig');
    expect(state.fileContents()).toBe('contents');
  });
});
