import { describe, expect, it } from 'vitest';
import * as lib from '../../src/index.js';

describe('package exports', () => {
  it('exposes the utilities under the seed names, in camelCase', async () => {
    const store = new lib.MemoryStore();
    const queue = new lib.RedisPriorityQueue<string>(store, 'pq');
    const throttled = new lib.RedisThrottledQueue(queue, { window: 60, limit: 10, moderate: true });
    await throttled.push('a', 5);
    expect(await throttled.pop()).toBe('a');
    expect(lib.StatsCollector.SECONDS_1_HOUR).toBe(3600);
    const counter = lib.getCounter({ store, key: 'c', window: 60, roll: false });
    await counter.increment();
    expect(await counter.value()).toBe(1);
    counter.stop();
    expect(typeof lib.ZookeeperWatcher.start).toBe('function');
    expect(typeof lib.RedisQueue).toBe('function');
    expect(typeof lib.RedisStack).toBe('function');
    expect(typeof lib.createLogger).toBe('function');
    expect(typeof lib.loadSettings).toBe('function');
    expect(typeof lib.withTimeout).toBe('function');
  });
});
