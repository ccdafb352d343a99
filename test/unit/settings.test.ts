import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SettingsError } from '../../src/core/errors.js';
import {
  COMPONENT_SPECS,
  COMPONENTS,
  CRAWLER_DEFAULTS,
  defaultSettings,
  kafkaBrokers,
  loadSettings,
  logOptionsFromSettings,
  mergeSettings,
  resolveSettings,
} from '../../src/settings.js';

const dir = mkdtempSync(join(tmpdir(), 'sc-settings-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileCounter = 0;
function tempFile(ext: string, content: string): string {
  const path = join(dir, `local-${++fileCounter}${ext}`);
  writeFileSync(path, content);
  return path;
}

function settingsError(fn: () => unknown): SettingsError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SettingsError);
    return err as SettingsError;
  }
  throw new Error('expected a SettingsError');
}

async function settingsErrorAsync(promise: Promise<unknown>): Promise<SettingsError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(SettingsError);
    return err as SettingsError;
  }
  throw new Error('expected a SettingsError');
}

describe('mergeSettings (the original SettingsWrapper merge)', () => {
  it('merges dictionaries one level deep and adds new keys', () => {
    const defaults = { STRING: 'stuff', DICT: { value: 'other stuff' } };
    const local = {
      DICT: { value: 'override', append: 'value' },
      MY_STRING: 'cool',
      NEW_DICT: { other: 'value' },
      NEW_LIST: [1, 2, 3],
    };
    expect(mergeSettings(defaults, local)).toEqual({
      STRING: 'stuff',
      DICT: { value: 'override', append: 'value' },
      MY_STRING: 'cool',
      NEW_DICT: { other: 'value' },
      NEW_LIST: [1, 2, 3],
    });
    expect(defaults).toEqual({ STRING: 'stuff', DICT: { value: 'other stuff' } });
  });

  it('replaces nested dictionaries wholesale below the first level', () => {
    const merged = mergeSettings({ D: { inner: { a: 1, b: 2 } } }, { D: { inner: { a: 3 } } });
    expect(merged).toEqual({ D: { inner: { a: 3 } } });
  });

  it('replaces when only one side is a dictionary', () => {
    expect(mergeSettings({ A: { x: 1 }, B: 'text' }, { A: 'flat', B: { y: 2 } })).toEqual({
      A: 'flat',
      B: { y: 2 },
    });
  });

  it('ignores a __proto__ key instead of replacing the prototype', () => {
    const merged = mergeSettings(
      {},
      JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>,
    );
    expect((merged as { polluted?: boolean }).polluted).toBeUndefined();
  });
});

describe('defaults', () => {
  it.each(COMPONENTS)('%s loads with no file, environment or flags', (component) => {
    const settings = resolveSettings(component, { env: {} });
    expect(settings).toEqual(COMPONENT_SPECS[component].defaults);
  });

  it('has the original values for the kafka monitor', () => {
    const s = resolveSettings('kafka-monitor', { env: {} });
    expect(s.PLUGINS).toEqual({
      ScraperHandler: 100,
      ActionHandler: 200,
      StatsHandler: 300,
      ZookeeperHandler: 400,
    });
    expect(s.KAFKA_HOSTS).toBe('localhost:9092');
    expect(s.KAFKA_FEED_TIMEOUT).toBe(10);
    expect(s.SLEEP_TIME).toBe(0.01);
    expect(s.STATS_TIMES).toContain('SECONDS_15_MINUTE');
    expect(s.LOGGER_NAME).toBe('kafka-monitor');
  });

  it('has the original values for the crawler, plus the settings this project adds', () => {
    const s = resolveSettings('crawler', { env: {} });
    expect(s.SCHEUDLER_ITEM_RETRIES).toBe(3);
    expect(s.GLOBAL_PAGE_PER_DOMAIN_LIMIT).toBeNull();
    expect(s.REDIS_PORT).toBe(6379);
    expect(s.CONCURRENT_REQUESTS).toBe(16);
    expect(s.CONCURRENT_REQUESTS_PER_DOMAIN).toBe(8);
    // The original's list plus 429 (a deliberate change, docs/compatibility.md).
    expect(s.RETRY_HTTP_CODES).toEqual([500, 502, 503, 504, 522, 524, 408, 429]);
    expect(s.ROBOTSTXT_OBEY).toBe(true);
    expect(s.SC_LOGGER_NAME).toBe('sc-crawler');
    expect(s.LEASE_TIMEOUT).toBe(60);
    expect(s.ALLOWED_ADDRESSES).toEqual([]);
    expect(s.DNS_OVERRIDES).toEqual({});
  });

  it('has the original values for the redis monitor and rest service', () => {
    const rm = resolveSettings('redis-monitor', { env: {} });
    expect(rm.REDIS_LOCK_EXPIRATION).toBe(6);
    expect(rm.RETRY_FAILURES_MAX).toBe(3);
    expect(Object.keys(rm.PLUGINS)).toEqual([
      'InfoMonitor',
      'StopMonitor',
      'ExpireMonitor',
      'StatsMonitor',
      'ZookeeperMonitor',
    ]);
    const rest = resolveSettings('rest', { env: {} });
    expect(rest.FLASK_PORT).toBe(5343);
    expect(rest.WAIT_FOR_RESPONSE_TIME).toBe(5);
    expect(rest.KAFKA_CONSUMER_AUTO_OFFSET_RESET).toBe('latest');
    expect(rest.REST_BIND).toBe('0.0.0.0');
  });

  it('hands out copies that do not share state with the defaults', () => {
    const first = defaultSettings('crawler');
    first.RETRY_HTTP_CODES.push(999);
    first.DEFAULT_REQUEST_HEADERS.Extra = 'x';
    expect(defaultSettings('crawler').RETRY_HTTP_CODES).toEqual([500, 502, 503, 504, 522, 524, 408, 429]);
    expect(resolveSettings('crawler', { env: {} }).DEFAULT_REQUEST_HEADERS).toEqual(
      CRAWLER_DEFAULTS.DEFAULT_REQUEST_HEADERS,
    );
  });
});

describe('settings files', () => {
  it('reads JSON, merging dictionaries one level deep and keeping unknown keys', async () => {
    const file = tempFile(
      '.json',
      JSON.stringify({
        REDIS_HOST: 'redis',
        PLUGINS: { StatsHandler: null, MyHandler: 500 },
        MY_SETTING: 'x',
      }),
    );
    const s = await loadSettings('kafka-monitor', { file, env: {} });
    expect(s.REDIS_HOST).toBe('redis');
    expect(s.PLUGINS).toEqual({
      ScraperHandler: 100,
      ActionHandler: 200,
      ZookeeperHandler: 400,
      MyHandler: 500,
    });
    expect(s.MY_SETTING).toBe('x');
  });

  it('reads YAML, parsing strings for typed settings and joining host lists', async () => {
    const file = tempFile(
      '.yaml',
      [
        'REDIS_PORT: "6380"',
        'KAFKA_HOSTS:',
        '  - k1:9092',
        '  - k2:9092',
        'LOG_LEVEL: debug',
        'LOG_JSON: "True"',
      ].join('\n'),
    );
    const s = await loadSettings('redis-monitor', { file, env: {} });
    expect(s.REDIS_PORT).toBe(6380);
    expect(s.KAFKA_HOSTS).toBe('k1:9092,k2:9092');
    expect(kafkaBrokers(s)).toEqual(['k1:9092', 'k2:9092']);
    expect(s.LOG_LEVEL).toBe('DEBUG');
    expect(s.LOG_JSON).toBe(true);
  });

  it('treats an empty YAML file as no settings', async () => {
    const s = await loadSettings('rest', { file: tempFile('.yml', ''), env: {} });
    expect(s.FLASK_PORT).toBe(5343);
  });

  it('reads an ES module default export', async () => {
    const file = tempFile(
      '.mjs',
      'export default { QUEUE_HITS: 20, DNS_OVERRIDES: { "example.com": "10.0.0.5" } };',
    );
    const s = await loadSettings('crawler', { file, env: {} });
    expect(s.QUEUE_HITS).toBe(20);
    expect(s.DNS_OVERRIDES).toEqual({ 'example.com': '10.0.0.5' });
  });

  it('reads ES module named exports', async () => {
    const file = tempFile('.mjs', 'export const QUEUE_WINDOW = 30;\nexport const MY_LIST = ["a"];');
    const s = await loadSettings('crawler', { file, env: {} });
    expect(s.QUEUE_WINDOW).toBe(30);
    expect(s.MY_LIST).toEqual(['a']);
  });

  it('reads a .js module (CommonJS outside an ESM package)', async () => {
    const file = tempFile('.js', 'module.exports = { SC_LOG_LEVEL: "ERROR" };');
    const s = await loadSettings('crawler', { file, env: {} });
    expect(s.SC_LOG_LEVEL).toBe('ERROR');
  });

  it('accepts Python-style dotted plugin paths and null to remove a plugin', async () => {
    const file = tempFile(
      '.json',
      JSON.stringify({ PLUGINS: { 'plugins.stats_handler.StatsHandler': null } }),
    );
    const s = await loadSettings('kafka-monitor', { file, env: {} });
    expect(Object.keys(s.PLUGINS)).toEqual(['ScraperHandler', 'ActionHandler', 'ZookeeperHandler']);
  });

  it('reports a missing file with code SC_SETTINGS_FILE and the path', async () => {
    const missing = join(dir, 'nope.json');
    const err = await settingsErrorAsync(loadSettings('rest', { file: missing, env: {} }));
    expect(err.code).toBe('SC_SETTINGS_FILE');
    expect(err.message).toContain(missing);
  });

  it('reports unparseable files, unsupported extensions and non-object contents', async () => {
    const bad = await settingsErrorAsync(loadSettings('rest', { file: tempFile('.json', '{nope'), env: {} }));
    expect(bad.code).toBe('SC_SETTINGS_FILE');
    expect(bad.message).toMatch(/not valid JSON/);
    const py = await settingsErrorAsync(loadSettings('rest', { file: tempFile('.py', 'X = 1'), env: {} }));
    expect(py.code).toBe('SC_SETTINGS_FILE');
    expect(py.message).toMatch(/unsupported extension/);
    const list = await settingsErrorAsync(loadSettings('rest', { file: tempFile('.json', '[1]'), env: {} }));
    expect(list.message).toMatch(/object at the top level/);
  });

  it('names the file when one of its values is invalid', async () => {
    const file = tempFile('.json', JSON.stringify({ QUEUE_HITS: 0 }));
    const err = await settingsErrorAsync(loadSettings('crawler', { file, env: {} }));
    expect(err.code).toBe('SC_SETTINGS_INVALID');
    expect(err.message).toBe(
      `Setting QUEUE_HITS from settings file ${file}: expected an integer >= 1, got 0`,
    );
  });
});

describe('environment variables', () => {
  it('parses integers and rejects anything else', () => {
    expect(resolveSettings('rest', { env: { REDIS_PORT: '6380' } }).REDIS_PORT).toBe(6380);
    for (const bad of ['12x', '1.5', '', 'abc']) {
      const err = settingsError(() => resolveSettings('rest', { env: { REDIS_PORT: bad } }));
      expect(err.code).toBe('SC_SETTINGS_INVALID');
      expect(err.message).toBe(
        `Setting REDIS_PORT from environment: expected an integer 1-65535, got "${bad}"`,
      );
    }
  });

  it('checks ranges after parsing', () => {
    const err = settingsError(() => resolveSettings('rest', { env: { REDIS_PORT: '70000' } }));
    expect(err.message).toBe('Setting REDIS_PORT from environment: expected an integer 1-65535, got "70000"');
  });

  it('parses floats', () => {
    expect(resolveSettings('kafka-monitor', { env: { SLEEP_TIME: '0.5' } }).SLEEP_TIME).toBe(0.5);
    expect(resolveSettings('kafka-monitor', { env: { SLEEP_TIME: '2' } }).SLEEP_TIME).toBe(2);
    expect(() => resolveSettings('kafka-monitor', { env: { SLEEP_TIME: 'fast' } })).toThrow(
      'Setting SLEEP_TIME from environment: expected a number >= 0, got "fast"',
    );
  });

  it('parses booleans: true/1 and false/0/empty, any case; anything else is an error', () => {
    const read = (value: string) => resolveSettings('redis-monitor', { env: { LOG_JSON: value } }).LOG_JSON;
    expect([read('true'), read('TRUE'), read('1')]).toEqual([true, true, true]);
    expect([read('false'), read('False'), read('0'), read('')]).toEqual([false, false, false, false]);
    expect(() => read('yes')).toThrow(
      'Setting LOG_JSON from environment: expected a boolean (true/false/1/0), got "yes"',
    );
  });

  it('parses comma lists and JSON arrays', () => {
    const env = { STATS_TIMES: 'SECONDS_1_HOUR, SECONDS_1_DAY', STATS_RESPONSE_CODES: '[200, 500]' };
    const s = resolveSettings('crawler', { env });
    expect(s.STATS_TIMES).toEqual(['SECONDS_1_HOUR', 'SECONDS_1_DAY']);
    expect(s.STATS_RESPONSE_CODES).toEqual([200, 500]);
    expect(resolveSettings('crawler', { env: { RETRY_HTTP_CODES: '500,503' } }).RETRY_HTTP_CODES).toEqual([
      500, 503,
    ]);
    expect(resolveSettings('crawler', { env: { ALLOWED_ADDRESSES: '' } }).ALLOWED_ADDRESSES).toEqual([]);
    expect(() => resolveSettings('crawler', { env: { RETRY_HTTP_CODES: '500,x' } })).toThrow(
      /RETRY_HTTP_CODES from environment: expected a list of integers 100-999/,
    );
    expect(() => resolveSettings('crawler', { env: { ALLOWED_ADDRESSES: 'not-an-ip' } })).toThrow(
      /ALLOWED_ADDRESSES from environment: expected a list of IP addresses or CIDR ranges/,
    );
  });

  it('parses JSON objects and merges them one level deep', () => {
    const env = { DEFAULT_REQUEST_HEADERS: '{"Accept-Language": "de"}', PLUGINS: '{"StatsMonitor": null}' };
    const crawler = resolveSettings('crawler', { env });
    expect(crawler.DEFAULT_REQUEST_HEADERS).toEqual({
      Accept: CRAWLER_DEFAULTS.DEFAULT_REQUEST_HEADERS.Accept,
      'Accept-Language': 'de',
    });
    const rm = resolveSettings('redis-monitor', { env });
    expect(rm.PLUGINS).not.toHaveProperty('StatsMonitor');
    expect(() => resolveSettings('crawler', { env: { DNS_OVERRIDES: '{oops' } })).toThrow(
      'Setting DNS_OVERRIDES from environment: expected an object mapping host names to IP addresses, got "{oops"',
    );
  });

  it('keeps strings as they are', () => {
    expect(resolveSettings('crawler', { env: { KAFKA_TOPIC_PREFIX: 'prod' } }).KAFKA_TOPIC_PREFIX).toBe(
      'prod',
    );
    expect(() => resolveSettings('crawler', { env: { REDIS_HOST: '' } })).toThrow(
      'Setting REDIS_HOST from environment: expected a non-empty string, got ""',
    );
  });

  it('gives null defaults their declared type', () => {
    expect(resolveSettings('rest', { env: { REDIS_PASSWORD: 's3cret' } }).REDIS_PASSWORD).toBe('s3cret');
    expect(resolveSettings('rest', { env: { REDIS_PASSWORD: '' } }).REDIS_PASSWORD).toBeNull();
    const limit = (value: string) =>
      resolveSettings('crawler', { env: { GLOBAL_PAGE_PER_DOMAIN_LIMIT: value } })
        .GLOBAL_PAGE_PER_DOMAIN_LIMIT;
    expect(limit('5')).toBe(5);
    expect(limit('None')).toBeNull();
    expect(limit('')).toBeNull();
    expect(() => limit('lots')).toThrow(
      /GLOBAL_PAGE_PER_DOMAIN_LIMIT from environment: expected an integer >= 1 or null/,
    );
  });

  it("types a settings file's own keys by their current value and ignores unknown variables", () => {
    const s = resolveSettings('rest', {
      fileValues: { MY_NUMBER: 5, MY_FLAG: false, MY_TAGS: ['a'] },
      env: { MY_NUMBER: '7.5', MY_FLAG: '1', MY_TAGS: 'x,y', NOT_A_SETTING: '1' },
    });
    expect(s.MY_NUMBER).toBe(7.5);
    expect(s.MY_FLAG).toBe(true);
    expect(s.MY_TAGS).toEqual(['x', 'y']);
    expect(s).not.toHaveProperty('NOT_A_SETTING');
  });
});

describe('precedence and flags', () => {
  const fileValues = { LOG_LEVEL: 'DEBUG' };

  it('applies default < file < env < flag', () => {
    expect(resolveSettings('kafka-monitor', { env: {} }).LOG_LEVEL).toBe('INFO');
    expect(resolveSettings('kafka-monitor', { fileValues, env: {} }).LOG_LEVEL).toBe('DEBUG');
    expect(resolveSettings('kafka-monitor', { fileValues, env: { LOG_LEVEL: 'ERROR' } }).LOG_LEVEL).toBe(
      'ERROR',
    );
    const flagged = resolveSettings('kafka-monitor', {
      fileValues,
      env: { LOG_LEVEL: 'ERROR' },
      flags: { logLevel: 'WARNING' },
    });
    expect(flagged.LOG_LEVEL).toBe('WARNING');
  });

  it('puts overrides between the file and the environment', () => {
    const s = resolveSettings('crawler', {
      fileValues: { QUEUE_HITS: 2, QUEUE_WINDOW: 2 },
      overrides: { QUEUE_HITS: 3, QUEUE_WINDOW: 3 },
      env: { QUEUE_WINDOW: '4' },
    });
    expect([s.QUEUE_HITS, s.QUEUE_WINDOW]).toEqual([3, 4]);
  });

  it('maps --log-json and --log-file to LOG_JSON and LOG_STDOUT', () => {
    const s = resolveSettings('rest', { env: {}, flags: { logJson: true, logFile: true } });
    expect(s.LOG_JSON).toBe(true);
    expect(s.LOG_STDOUT).toBe(false);
  });

  it('maps flags to SC_LOG_* for the crawler', () => {
    const s = resolveSettings('crawler', {
      env: {},
      flags: { logLevel: 'warn', logJson: true, logFile: true },
    });
    expect([s.SC_LOG_LEVEL, s.SC_LOG_JSON, s.SC_LOG_STDOUT]).toEqual(['WARNING', true, false]);
    expect(s).not.toHaveProperty('LOG_LEVEL');
  });

  it('names the flag when its value is invalid', () => {
    expect(() => resolveSettings('rest', { env: {}, flags: { logLevel: 'verbose' } })).toThrow(
      'Setting LOG_LEVEL from command-line flag --log-level: expected one of DEBUG, INFO, WARNING, ERROR, CRITICAL, got "verbose"',
    );
  });
});

describe('aliases', () => {
  it('accepts the correctly spelled SCHEDULER_ITEM_RETRIES for the original SCHEUDLER_ITEM_RETRIES', () => {
    const s = resolveSettings('crawler', { env: { SCHEDULER_ITEM_RETRIES: '5' } });
    expect(s.SCHEUDLER_ITEM_RETRIES).toBe(5);
    expect(s).not.toHaveProperty('SCHEDULER_ITEM_RETRIES');
  });

  it('prefers the canonical name when both are set', () => {
    const env = { SCHEDULER_ITEM_RETRIES: '5', SCHEUDLER_ITEM_RETRIES: '6' };
    expect(resolveSettings('crawler', { env }).SCHEUDLER_ITEM_RETRIES).toBe(6);
    const fileValues = { SCHEDULER_ITEM_RETRIES: 1, SCHEUDLER_ITEM_RETRIES: 2 };
    expect(resolveSettings('crawler', { fileValues, env: {} }).SCHEUDLER_ITEM_RETRIES).toBe(2);
  });

  it('accepts the docker image misspelling SCHEDULER_QUEUE_TIEOUT', () => {
    const s = resolveSettings('crawler', { env: { SCHEDULER_QUEUE_TIEOUT: '120' } });
    expect(s.SCHEDULER_QUEUE_TIMEOUT).toBe(120);
  });

  it('accepts REST_PORT for FLASK_PORT and names the variable in errors', () => {
    expect(resolveSettings('rest', { env: { REST_PORT: '8080' } }).FLASK_PORT).toBe(8080);
    expect(() => resolveSettings('rest', { env: { REST_PORT: 'http' } })).toThrow(
      'Setting FLASK_PORT from environment variable REST_PORT: expected an integer 0-65535, got "http"',
    );
  });

  it('renames aliases found in settings files', () => {
    const s = resolveSettings('crawler', { fileValues: { SCHEDULER_ITEM_RETRIES: 4 }, env: {} });
    expect(s.SCHEUDLER_ITEM_RETRIES).toBe(4);
  });

  it('applies aliases only to the component that has the setting', () => {
    const s = resolveSettings('kafka-monitor', { env: { REST_PORT: '1' } });
    expect(s).not.toHaveProperty('FLASK_PORT');
  });
});

describe('host lists', () => {
  it('accepts a JSON array of hosts from the environment', () => {
    const s = resolveSettings('kafka-monitor', { env: { KAFKA_HOSTS: '["k1:9092", "k2:9092"]' } });
    expect(s.KAFKA_HOSTS).toBe('k1:9092,k2:9092');
    expect(() => resolveSettings('kafka-monitor', { env: { KAFKA_HOSTS: '[1]' } })).toThrow(
      /KAFKA_HOSTS from environment: expected a comma-separated list of host:port/,
    );
    expect(() => resolveSettings('kafka-monitor', { env: { KAFKA_HOSTS: 'a:1,,b:2' } })).toThrow(
      /KAFKA_HOSTS from environment/,
    );
  });
});

describe('helpers', () => {
  it('splits KAFKA_HOSTS into brokers', () => {
    expect(kafkaBrokers({ KAFKA_HOSTS: 'h1:9092, h2:9092,' })).toEqual(['h1:9092', 'h2:9092']);
    expect(kafkaBrokers({ KAFKA_HOSTS: ['h1:9092'] })).toEqual(['h1:9092']);
  });

  it('builds logger options from LOG_* and, for the crawler, SC_LOG_*', () => {
    const rest = resolveSettings('rest', { env: {} });
    expect(logOptionsFromSettings('rest', rest)).toEqual({
      name: 'rest-service',
      dir: 'logs',
      file: 'rest_service.log',
      bytes: 10 * 1024 * 1024,
      backups: 5,
      stdout: true,
      json: false,
      level: 'INFO',
    });
    const crawler = resolveSettings('crawler', { env: {}, flags: { logJson: true } });
    expect(logOptionsFromSettings('crawler', crawler)).toMatchObject({ name: 'sc-crawler', json: true });
  });
});
