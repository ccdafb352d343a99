import { ClientOfflineError, ErrorReply } from 'redis';
import { describe, expect, it } from 'vitest';
import { Backoff, backoffDelay, OutageLog } from '../../src/core/backoff.js';
import { createLogger } from '../../src/core/logging/index.js';
import { isStoreUnavailable } from '../../src/core/store/index.js';

function lines() {
  const out: string[] = [];
  const logger = createLogger({
    name: 't',
    level: 'DEBUG',
    destination: { write: (l: string) => out.push(l) },
  });
  return { out, logger };
}

describe('backoffDelay', () => {
  it('doubles up to the cap and takes off at most the jitter share', () => {
    const exact = [0, 1, 2, 3, 10].map((n) => backoffDelay(n, { initialMs: 100, maxMs: 5000, jitter: 0 }));
    expect(exact).toEqual([100, 200, 400, 800, 5000]);
    for (let i = 0; i < 50; i++) {
      const d = backoffDelay(6, { initialMs: 100, maxMs: 5000 });
      expect(d).toBeGreaterThanOrEqual(4000);
      expect(d).toBeLessThanOrEqual(5000);
    }
  });

  it('Backoff grows with each failure and starts over after a success', () => {
    const b = new Backoff({ initialMs: 10, maxMs: 1000, jitter: 0 });
    expect([b.next(), b.next(), b.next()]).toEqual([10, 20, 40]);
    expect(b.failures).toBe(3);
    b.reset();
    expect(b.next()).toBe(10);
  });
});

describe('OutageLog', () => {
  it('says an outage once with its cause, and its end once with the duration', () => {
    const { out, logger } = lines();
    let now = 1_000;
    const outage = new OutageLog(logger, 'Redis', { now: () => now });
    outage.recovered(); // nothing to say while up
    for (let i = 0; i < 100; i++) outage.failed(new Error('connect ECONNREFUSED 127.0.0.1:6379'));
    now += 12_300;
    outage.recovered();
    outage.recovered();
    const warnings = out.filter((l) => l.includes('WARNING'));
    const infos = out.filter((l) => l.includes('INFO'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('Redis unreachable (connect ECONNREFUSED 127.0.0.1:6379)');
    expect(infos).toHaveLength(1);
    expect(infos[0]).toContain('Redis reachable again after 12.3 s');
    expect(outage.down).toBe(false);
  });
});

describe('isStoreUnavailable', () => {
  it('tells an unreachable or loading server from a bad command', () => {
    expect(isStoreUnavailable(new ClientOfflineError())).toBe(true);
    expect(isStoreUnavailable(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isStoreUnavailable(new ErrorReply('LOADING Redis is loading the dataset in memory'))).toBe(true);
    expect(isStoreUnavailable(new ErrorReply('ERR wrong number of arguments'))).toBe(false);
    expect(isStoreUnavailable(new TypeError('bug'))).toBe(false);
  });
});
