import { describe, expect, it } from 'vitest';
import { freePort } from '../support/cli-process.js';
import { RedisStore } from '../../src/core/store/index.js';
import { ConnectionError } from '../../src/core/errors.js';

describe('RedisStore.connect', () => {
  it('fails fast with a readable ConnectionError when nothing listens', async () => {
    const port = await freePort();
    const started = Date.now();
    const err = await RedisStore.connect({ host: '127.0.0.1', port, socketTimeout: 2 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).code).toBe('SC_REDIS_UNREACHABLE');
    expect((err as Error).message).toMatch(new RegExp(`^Cannot reach Redis at 127\\.0\\.0\\.1:${port}: `));
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
