import { describe, expect, it } from 'vitest';
import { DomainConfig } from '../../src/crawler/control/domain-config.js';
import { captureLogger } from '../support/capture-logger.js';

describe('DomainConfig', () => {
  it('loads domains with both window and hits, scaling hits into 0..1', () => {
    const { logger } = captureLogger();
    const config = new DomainConfig(logger);
    expect(
      config.apply(
        'blacklist:\n- ebay.com\ndomains:\n  a.com:\n    window: 50\n    hits: 10\n  b.com:\n    window: 60\n    hits: 30\n    scale: 0.5\n  c.com:\n    window: 60\n  d.com:\n    hits: 5\n    window: 10\n    scale: 1.7\n',
      ),
    ).toBe(true);
    expect(config.rate('a.com')).toEqual({ window: 50, hits: 10 });
    expect(config.rate('b.com')).toEqual({ window: 60, hits: 15 });
    expect(config.rate('c.com')).toBeUndefined();
    expect(config.rate('d.com')).toEqual({ window: 10, hits: 5 });
    expect(config.isBlacklisted('ebay.com')).toBe(true);
    expect(config.version).toBe(1);
  });

  it('reverts to defaults on an empty node, keeps the last good config on junk, drops an omitted blacklist', () => {
    const { logger, lines } = captureLogger();
    const config = new DomainConfig(logger);
    config.apply('blacklist: [x.com]\ndomains:\n  a.com: {window: 5, hits: 1}\n');
    expect(config.apply('domains: [unclosed')).toBe(false);
    expect(config.rate('a.com')).toEqual({ window: 5, hits: 1 });
    expect(lines.some((l) => l.message.startsWith('Invalid Zookeeper config'))).toBe(true);
    config.apply('domains:\n  a.com: {window: 5, hits: 2}\n');
    expect(config.isBlacklisted('x.com')).toBe(false);
    config.apply('');
    expect(config.rate('a.com')).toBeUndefined();
    expect(config.configuredDomains).toEqual([]);
  });
});
