import { describe, expect, it } from 'vitest';
import { metaNumber } from '../../src/core/wire/request-codec.js';

describe('metaNumber', () => {
  it('reads numbers and numeric strings, and 0 for anything else', () => {
    const meta = {
      priority: 20,
      curdepth: '2',
      maxdepth: null,
      retry_times: 'x',
      redirect_times: Infinity,
      expires: ' ',
      domain_max_pages: -3.5,
    };
    expect(
      (
        [
          'priority',
          'curdepth',
          'maxdepth',
          'retry_times',
          'redirect_times',
          'expires',
          'domain_max_pages',
        ] as const
      ).map((field) => metaNumber(meta, field)),
    ).toEqual([20, 2, 0, 0, 0, 0, -3.5]);
    expect(metaNumber({}, 'priority')).toBe(0);
  });
});
