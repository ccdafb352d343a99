import { describe, expect, it } from 'vitest';
import { TEST_REDIS_DBS } from '../support/redis-dbs.js';

describe('test Redis databases', () => {
  it('gives every isolated test file a database of its own, none the shared 0, all within 1-15', () => {
    const numbers = Object.values(TEST_REDIS_DBS);
    expect(new Set(numbers).size).toBe(numbers.length);
    for (const n of numbers) expect(n >= 1 && n <= 15).toBe(true);
  });
});
