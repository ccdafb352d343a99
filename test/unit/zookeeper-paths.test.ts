import { describe, expect, it } from 'vitest';
import { BadInputError } from '../../src/core/errors.js';
import { backoffDelay } from '../../src/core/zookeeper/backoff.js';
import {
  ancestorPaths,
  configNodePath,
  isValidNodePath,
  parsePointer,
} from '../../src/core/zookeeper/paths.js';

describe('parsePointer', () => {
  it('trims the newline editors leave and surrounding whitespace', () => {
    expect(parsePointer('/tmp/myconfig\n')).toBe('/tmp/myconfig');
    expect(parsePointer('  /tmp/myconfig2 \r\n')).toBe('/tmp/myconfig2');
    expect(parsePointer('\t/a/b/c\t')).toBe('/a/b/c');
  });

  it('rejects empty and unusable paths', () => {
    for (const raw of ['', '   ', '\n', '/', 'tmp/myconfig', '/tmp/', '/tmp//x', '/tmp/../x', '/a\nb']) {
      expect(parsePointer(raw), JSON.stringify(raw)).toBeUndefined();
    }
  });
});

describe('isValidNodePath', () => {
  it('follows the client library rules', () => {
    expect(isValidNodePath('/')).toBe(true);
    expect(isValidNodePath('/scrapy-cluster/crawler/all')).toBe(true);
    expect(isValidNodePath('/a/.hidden')).toBe(true);
    expect(isValidNodePath('')).toBe(false);
    expect(isValidNodePath('a')).toBe(false);
    expect(isValidNodePath('/a/')).toBe(false);
    expect(isValidNodePath('/a/./b')).toBe(false);
    expect(isValidNodePath('/a/..')).toBe(false);
  });
});

describe('configNodePath', () => {
  it('joins path and id like the original pusher (path + id)', () => {
    expect(configNodePath('/scrapy-cluster/crawler/', 'all')).toBe('/scrapy-cluster/crawler/all');
    expect(configNodePath('/tmp/', 'myconfig')).toBe('/tmp/myconfig');
  });

  it('adds the separator the original silently dropped, and drops doubled ones', () => {
    expect(configNodePath('/tmp', 'myconfig')).toBe('/tmp/myconfig');
    expect(configNodePath('/tmp//', '/myconfig')).toBe('/tmp/myconfig');
    expect(configNodePath('/', 'x')).toBe('/x');
    expect(configNodePath('', 'x')).toBe('/x');
  });

  it('refuses an empty id or an invalid result with BadInputError', () => {
    expect(() => configNodePath('/tmp/', '')).toThrow(BadInputError);
    expect(() => configNodePath('tmp', 'x')).toThrow(BadInputError);
    expect(() => configNodePath('/tmp/', 'a/../b')).toThrow(BadInputError);
  });
});

describe('ancestorPaths', () => {
  it('lists proper ancestors outermost first', () => {
    expect(ancestorPaths('/a/b/c')).toEqual(['/a', '/a/b']);
    expect(ancestorPaths('/a')).toEqual([]);
  });
});

describe('backoffDelay', () => {
  it('doubles from the initial delay and stops at the maximum', () => {
    const noJitter = { random: () => 0 };
    expect([0, 1, 2, 3, 4, 5, 6, 50].map((n) => backoffDelay(n, noJitter))).toEqual([
      250, 500, 1000, 2000, 4000, 5000, 5000, 5000,
    ]);
    expect(backoffDelay(2, { initialMs: 100, maxMs: 300, random: () => 0 })).toBe(300);
  });

  it('jitters downwards by at most 20 %', () => {
    expect(backoffDelay(10, { random: () => 1 })).toBe(4000);
    expect(backoffDelay(0, { random: () => 0.5 })).toBe(225);
  });
});
