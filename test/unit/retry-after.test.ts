import { describe, expect, it } from 'vitest';
import { retryAfterSeconds } from '../../src/crawler/engine/retry-after.js';

describe('Retry-After', () => {
  const now = Date.parse('2026-12-05T10:00:00Z');

  it.each([
    ['5', 5],
    [' 120 ', 120],
    ['0', 0],
    ['Sat, 05 Dec 2026 10:00:30 GMT', 30],
    ['Sat, 05 Dec 2026 09:59:00 GMT', 0],
  ])('reads %j as %d seconds', (value, seconds) => {
    expect(retryAfterSeconds(value, now)).toBe(seconds);
  });

  it.each([
    undefined,
    '',
    '-5',
    '1.5',
    'soon',
    '5 seconds',
    '2026-12-05T10:00:30Z',
    'Sat, 05 Dec 2026 25:00:00 GMT',
  ])('ignores %j', (value) => {
    expect(retryAfterSeconds(value, now)).toBeUndefined();
  });
});
