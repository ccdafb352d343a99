import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logging/index.js';

describe('text log lines', () => {
  it('carry the key extras (URL, status, reason, counts) without includeExtra, and nothing else', () => {
    const out: string[] = [];
    const logger = createLogger({
      name: 'sc-crawler',
      destination: { write: (line: string) => out.push(line) },
    });
    logger.warning('Request failed for good', {
      url: 'http://d1.test/a b',
      reason: 'dns',
      error: 'getaddrinfo ENOTFOUND d1.test',
      body: 'not shown',
      cookie: 'secret=1',
    });
    logger.info('Handed unfinished requests back to their queues', { returned: 3 });
    expect(out[0]).toMatch(
      /WARNING: Request failed for good url="http:\/\/d1.test\/a b" reason=dns error="getaddrinfo ENOTFOUND d1.test"\n$/,
    );
    expect(out[0]).not.toContain('secret');
    expect(out[1]).toMatch(/INFO: Handed unfinished requests back to their queues returned=3\n$/);
  });
});
