import { describe, expect, it } from 'vitest';
import { runComponent } from '../../src/cli/runtime.js';
import { createLogger } from '../../src/core/logging/index.js';

function quietLogger() {
  return createLogger({ name: 'test', level: 'CRITICAL', destination: { write: () => undefined } });
}

describe('runComponent', () => {
  it('closes what a failed start opened, in reverse order, and rethrows the failure', async () => {
    const closed: string[] = [];
    const run = runComponent(
      quietLogger(),
      async (own) => {
        own('store', (name) => closed.push(name));
        own('bus', (name) => closed.push(name));
        throw new Error('monitor failed to start');
      },
      () => new Promise(() => undefined),
    );
    await expect(run).rejects.toThrow('monitor failed to start');
    expect(closed).toEqual(['bus', 'store']);
  });

  it('closes everything after the stop signal, even when one close fails', async () => {
    const closed: string[] = [];
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const run = runComponent(
      quietLogger(),
      async (own) => {
        own('store', (name) => closed.push(name));
        own('bus', () => {
          throw new Error('broker gone');
        });
        own('crawler', (name) => closed.push(name));
      },
      () => stopped,
    );
    await Promise.resolve();
    expect(closed).toEqual([]);
    stop();
    await run;
    expect(closed).toEqual(['crawler', 'store']);
  });
});
