import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  createLogger,
  LEVEL_NAMES,
  localTime,
  LogFactory,
  parseLevelSpec,
  RotatingFileDestination,
  type LevelName,
  type LoggerOptions,
} from '../../src/core/logging/index.js';

const dir = mkdtempSync(join(tmpdir(), 'sc-logger-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function collect(options: LoggerOptions = {}) {
  const lines: string[] = [];
  const logger = createLogger({
    name: 'test',
    ...options,
    destination: { write: (s: string) => lines.push(s) },
  });
  return { logger, lines };
}

function logAll(logger: ReturnType<typeof createLogger>, extra?: Record<string, unknown>): void {
  logger.debug('d', extra);
  logger.info('i', extra);
  logger.warning('w', extra);
  logger.error('e', extra);
  logger.critical('c', extra);
}

const TEXT_LINE =
  /^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3}) \[([^\]]+)\] (DEBUG|INFO|WARNING|ERROR|CRITICAL): (.*)\n$/;

describe('level filtering', () => {
  it.each(LEVEL_NAMES)('at %s writes that level and the ones above it', (level) => {
    const { logger, lines } = collect({ level });
    logAll(logger);
    const written = lines.map((line) => TEXT_LINE.exec(line)?.[3]);
    expect(written).toEqual(LEVEL_NAMES.slice(LEVEL_NAMES.indexOf(level)));
  });

  it('treats WARN as WARNING, in the option and as a method', () => {
    const { logger, lines } = collect({ level: 'WARN' });
    expect(logger.level).toBe('WARNING');
    logger.info('hidden');
    logger.warn('shown');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('WARNING: shown');
  });

  it('falls back to DEBUG with a warning for an unknown level', () => {
    const { logger, lines } = collect({ level: 'LOUD' });
    expect(logger.level).toBe('DEBUG');
    expect(lines[0]).toContain("WARNING: Unknown log level 'LOUD', defaulting to DEBUG");
    logger.debug('now visible');
    expect(lines[1]).toContain('DEBUG: now visible');
  });

  it('reports whether a level is enabled', () => {
    const { logger } = collect({ level: 'ERROR' });
    expect(logger.isEnabledFor('WARNING')).toBe(false);
    expect(logger.isEnabledFor('CRITICAL')).toBe(true);
  });
});

describe('text format', () => {
  it('matches the original line layout', () => {
    const { logger, lines } = collect({ name: 'kafka-monitor' });
    logger.info('Feeding JSON into demo.incoming', { ignored: 'without includeExtra' });
    const match = TEXT_LINE.exec(lines[0] ?? '');
    expect(match?.slice(2)).toEqual(['kafka-monitor', 'INFO', 'Feeding JSON into demo.incoming']);
  });

  it('prints local time as YYYY-MM-DD HH:MM:SS,mmm', () => {
    expect(localTime(new Date(2015, 11, 22, 15, 45, 37, 457).getTime())).toBe('2015-12-22 15:45:37,457');
    expect(localTime(new Date(2015, 0, 2, 3, 4, 5, 6).getTime())).toBe('2015-01-02 03:04:05,006');
  });

  it('appends the caller extras as a Python dict with includeExtra', () => {
    const { logger, lines } = collect({ includeExtra: true });
    logger.info('Info output closing.', { sum: 4 });
    logger.warn('flags', { ok: true, none: null, list: [1, 'a'], text: "it's" });
    logger.error('only reserved', { level: 'X', timestamp: 'T', logger: 'L' });
    logger.info('no extras');
    expect(lines[0]).toMatch(/INFO: Info output closing\. \{'sum': 4\}\n$/);
    expect(lines[1]).toMatch(
      /WARNING: flags \{'ok': True, 'none': None, 'list': \[1, 'a'\], 'text': "it's"\}\n$/,
    );
    expect(lines[2]).toMatch(/ERROR: only reserved\n$/);
    expect(lines[3]).toMatch(/INFO: no extras\n$/);
  });
});

describe('JSON format', () => {
  it('writes message, level, timestamp, logger and the extras', () => {
    const { logger, lines } = collect({ json: true, name: 'kafka-monitor' });
    logger.warn('warn output', { key: 'value', nested: { n: [1, 2] } });
    const record = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    expect(record).toEqual({
      message: 'warn output',
      level: 'WARNING',
      logger: 'kafka-monitor',
      timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/),
      key: 'value',
      nested: { n: [1, 2] },
    });
    expect(Math.abs(Date.parse(record.timestamp as string) - Date.now())).toBeLessThan(5000);
  });

  it('writes one object per line without extras', () => {
    const { logger, lines } = collect({ json: true });
    logger.info('a');
    logger.info('b');
    expect(lines.map((line) => (JSON.parse(line) as { message: string }).message)).toEqual(['a', 'b']);
    expect(lines.every((line) => line.endsWith('}\n'))).toBe(true);
  });

  it('lets the caller set level, timestamp and logger without duplicating keys', () => {
    const { logger, lines } = collect({ json: true });
    logger.info('custom', { level: 'AUDIT', logger: 'other', message: 'not the message' });
    const line = lines[0] ?? '';
    expect(line.match(/"level"/g)).toHaveLength(1);
    expect(line.match(/"message"/g)).toHaveLength(1);
    expect(JSON.parse(line)).toMatchObject({ level: 'AUDIT', logger: 'other', message: 'custom' });
  });

  it('survives values JSON cannot represent', () => {
    const { logger, lines } = collect({ json: true });
    const circular: Record<string, unknown> = { name: 'loop' };
    circular.self = circular;
    logger.info('odd', { circular, big: 10n, err: new Error('boom') });
    const record = JSON.parse(lines[0] ?? '') as { err: { message: string } };
    expect(record.err.message).toBe('boom');
  });

  it('never modifies the caller extras', () => {
    const { logger } = collect({ json: true, includeExtra: true });
    const extra = Object.freeze({ appid: 'a', nested: Object.freeze({ x: 1 }) });
    logger.info('one', extra);
    logger.info('two', { ...extra, level: 'X' });
    const { logger: text } = collect({ includeExtra: true });
    text.info('three', extra);
    expect(extra).toEqual({ appid: 'a', nested: { x: 1 } });
  });
});

describe('rotating file output', () => {
  it('creates the directory and rotates to file.1 .. file.N, bounded by backups', () => {
    const logDir = join(dir, 'nested', 'logs');
    const logger = createLogger({ stdout: false, dir: logDir, file: 'km.log', bytes: 300, backups: 2 });
    for (let i = 0; i < 40; i++) logger.info(`line number ${String(i).padStart(3, '0')}`);
    logger.close();
    expect(readdirSync(logDir).sort()).toEqual(['km.log', 'km.log.1', 'km.log.2']);
    for (const name of ['km.log', 'km.log.1', 'km.log.2']) {
      expect(statSync(join(logDir, name)).size).toBeLessThan(300);
    }
    const newest = readFileSync(join(logDir, 'km.log'), 'utf8');
    const older = readFileSync(join(logDir, 'km.log.1'), 'utf8');
    expect(newest).toContain('line number 039');
    expect(older.trim().split('\n').at(-1)).toMatch(/line number \d{3}$/);
    const lastOlder = Number(/(\d{3})$/.exec(older.trim())?.[1]);
    const firstNewest = Number(/line number (\d{3})/.exec(newest)?.[1]);
    expect(firstNewest).toBe(lastOlder + 1);
  });

  it('announces the file at DEBUG like the original', () => {
    const logDir = join(dir, 'announce');
    const logger = createLogger({ stdout: false, dir: logDir, file: 'a.log', level: 'DEBUG' });
    logger.close();
    expect(readFileSync(join(logDir, 'a.log'), 'utf8')).toContain(
      `DEBUG: Logging to file: ${join(logDir, 'a.log')}`,
    );
  });

  it('never rotates with zero backups', () => {
    const logDir = join(dir, 'no-backups');
    const logger = createLogger({ stdout: false, dir: logDir, file: 'x.log', bytes: 100, backups: 0 });
    for (let i = 0; i < 20; i++) logger.info('some text to fill the file');
    logger.close();
    expect(readdirSync(logDir)).toEqual(['x.log']);
    expect(statSync(join(logDir, 'x.log')).size).toBeGreaterThan(100);
  });

  it('counts what an existing file already holds', () => {
    const path = join(dir, 'existing.log');
    writeFileSync(path, 'x'.repeat(90));
    const file = new RotatingFileDestination({ path, maxBytes: 100, backups: 1 });
    file.write('0123456789\n');
    file.close();
    expect(readFileSync(path, 'utf8')).toBe('0123456789\n');
    expect(readFileSync(`${path}.1`, 'utf8')).toBe('x'.repeat(90));
    expect(existsSync(`${path}.2`)).toBe(false);
  });

  it('keeps writing to the current file when rotation fails', () => {
    const path = join(dir, 'stuck.log');
    mkdirSync(`${path}.1`);
    writeFileSync(join(`${path}.1`, 'blocker'), 'x');
    const file = new RotatingFileDestination({ path, maxBytes: 10, backups: 1 });
    file.write('first line\n');
    expect(() => file.write('second line\n')).toThrow();
    file.close();
    expect(readFileSync(path, 'utf8')).toBe('first line\nsecond line\n');
  });

  it('drops writes after close', () => {
    const logDir = join(dir, 'closed');
    const logger = createLogger({ stdout: false, dir: logDir, file: 'c.log' });
    logger.info('before');
    logger.close();
    logger.info('after');
    expect(readFileSync(join(logDir, 'c.log'), 'utf8')).not.toContain('after');
  });
});

describe('callbacks', () => {
  function fired(spec: string, loggerLevel: LevelName = 'DEBUG'): string[] {
    const { logger } = collect({ level: loggerLevel });
    const seen: string[] = [];
    logger.registerCallback(spec, (message) => seen.push(message));
    logAll(logger);
    return seen;
  }

  it.each([
    ['INFO', ['i']],
    ['=INFO', ['i']],
    ['<=INFO', ['d', 'i']],
    ['<INFO', ['d']],
    ['>=WARNING', ['w', 'e', 'c']],
    ['>DEBUG', ['i', 'w', 'e', 'c']],
    ['WARN', ['w']],
    ['>=WARN', ['w', 'e', 'c']],
    ['*', ['d', 'i', 'w', 'e', 'c']],
  ])('spec %s fires for the matching levels', (spec, expected) => {
    expect(fired(spec)).toEqual(expected);
  });

  it('rejects an unknown level in a spec', () => {
    expect(() => parseLevelSpec('>=LOUD')).toThrow(/Unknown log level spec/);
    expect(() => parseLevelSpec('~INFO')).toThrow(/Unknown log level spec/);
  });

  it('passes the message and the caller extras, and matches criteria as a subset', () => {
    const { logger } = collect();
    const calls: [string, unknown][] = [];
    logger.registerCallback('*', (message, extras) => calls.push([message, extras]), {
      a: 1,
      deep: { list: [1, 2] },
    });
    logger.info('no extras');
    logger.info('partial', { a: 1 });
    logger.info('different', { a: 2, deep: { list: [1, 2] } });
    logger.info('match', { a: 1, b: 2, deep: { list: [1, 2] } });
    expect(calls).toEqual([['match', { a: 1, b: 2, deep: { list: [1, 2] } }]]);
  });

  it('gives {} to callbacks when no extras were passed', () => {
    const { logger } = collect();
    let received: unknown;
    logger.registerCallback('INFO', (_message, extras) => (received = extras));
    logger.info('x');
    expect(received).toEqual({});
  });

  it('only fires for records at or above the output level, like the original', () => {
    expect(fired('*', 'WARNING')).toEqual(['w', 'e', 'c']);
  });

  it('can fire below the output level when asked', () => {
    const { logger, lines } = collect({ level: 'ERROR', fireCallbacksBelowLevel: true });
    const seen: string[] = [];
    logger.registerCallback('<=INFO', (message) => seen.push(message));
    logAll(logger);
    expect(seen).toEqual(['d', 'i']);
    expect(lines).toHaveLength(2);
  });

  it('reproduces the documented example: 22 at DEBUG, 2 at INFO', () => {
    for (const [level, expected] of [
      ['DEBUG', 22],
      ['INFO', 2],
    ] as const) {
      const { logger } = collect({ level });
      let myVar = 1;
      logger.registerCallback('DEBUG', () => (myVar += 5));
      logger.registerCallback('WARN', () => (myVar *= 2), { key: 'value' });
      logger.debug('debug output 1');
      logger.warn('warn output', { key: 'value', key2: 'value2' });
      logger.warn('warn output 2');
      logger.debug('debug output 2');
      logger.critical('critical fault, closing');
      logger.debug('debug output 3');
      expect(myVar).toBe(expected);
    }
  });

  it('logs a failing callback instead of throwing into the caller', () => {
    const { logger, lines } = collect({ json: true });
    logger.registerCallback('INFO', () => {
      throw new Error('callback broke');
    });
    expect(() => logger.info('hello')).not.toThrow();
    expect(JSON.parse(lines[1] ?? '')).toMatchObject({ level: 'ERROR', error: 'callback broke' });
  });
});

describe('LogFactory', () => {
  afterEach(() => LogFactory.reset());

  it('keeps the first options, like the original singleton', () => {
    const sink = { write: () => true };
    const first = LogFactory.getInstance({ name: 'first', destination: sink });
    const second = LogFactory.getInstance({ name: 'second', destination: sink });
    expect(second).toBe(first);
    expect(second.name).toBe('first');
  });

  it('builds a new instance after reset, independent of createLogger instances', () => {
    const sink = { write: () => true };
    const first = LogFactory.getInstance({ name: 'first', destination: sink });
    LogFactory.reset();
    const again = LogFactory.getInstance({ name: 'again', destination: sink });
    expect(again).not.toBe(first);
    expect(createLogger({ destination: sink })).not.toBe(again);
  });
});

describe('cost', () => {
  it('makes filtered-out calls nearly free', () => {
    const { logger } = collect({ json: true, level: 'INFO' });
    const extra = { appid: 'a', crawlid: 'b' };
    const start = performance.now();
    for (let i = 0; i < 100_000; i++) logger.debug('filtered', extra);
    expect(performance.now() - start).toBeLessThan(100);
  });
});
