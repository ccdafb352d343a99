import { describe, expect, it } from 'vitest';
import { MemoryBus, type Outgoing } from '../../src/core/bus/index.js';
import { resolveSettings } from '../../src/settings.js';
import { MemoryStore } from '../../src/core/store/index.js';
import {
  LOAD_ERROR,
  MemoryConfigNode,
  RedisMonitor,
  STORE_ERROR,
  ZookeeperMonitor,
  dumpPyYaml,
  parseDomainConfig,
  pyFloat,
  updateDomainConfig,
} from '../../src/redis-monitor/index.js';
import { captureLogger } from '../support/capture-logger.js';

describe('dumpPyYaml', () => {
  it('writes what PyYAML 6 safe_dump(default_flow_style=False) writes', () => {
    // Expected text produced by PyYAML 6.0.3 from the same data (1 → int, 1.0 → float).
    const data = {
      blacklist: ['bingo.com', 'yes', 'a: b', "it's", '-x', '1.5', '2001-01-01', 'é'],
      domains: {
        'cnn.com': { hits: 15n, scale: 0.9, window: 60n },
        x: { scale: 1.0, big: 1e16, small: 1.5e-5, neg: -0.0, l: [{ a: 1n, b: { c: 2n } }, [1n, 2n]] },
      },
    };
    expect(dumpPyYaml(data)).toBe(
      "blacklist:\n- bingo.com\n- 'yes'\n- 'a: b'\n- it's\n- -x\n- '1.5'\n- '2001-01-01'\n- \"\\xE9\"\n" +
        'domains:\n  cnn.com:\n    hits: 15\n    scale: 0.9\n    window: 60\n  x:\n    big: 1.0e+16\n' +
        '    l:\n    - a: 1\n      b:\n        c: 2\n    - - 1\n      - 2\n    neg: -0.0\n    scale: 1.0\n' +
        '    small: 1.5e-05\n',
    );
    expect(dumpPyYaml({})).toBe('{}\n');
    expect(dumpPyYaml({ blacklist: [], domains: {} })).toBe('blacklist: []\ndomains: {}\n');
  });

  it('prints floats as Python repr does', () => {
    expect(
      [1, 0.9, 100.5, 1e-4, 1.5e-5, 1e16, 123456789012345.6, -2, NaN, Infinity, -Infinity].map(pyFloat),
    ).toEqual([
      '1.0',
      '0.9',
      '100.5',
      '0.0001',
      '1.5e-05',
      '1.0e+16',
      '123456789012345.6',
      '-2.0',
      '.nan',
      '.inf',
      '-.inf',
    ]);
  });

  it('reads back what it wrote, keeping integers apart from floats', () => {
    const text =
      'blacklist:\n- bingo.com\ndomains:\n  cnn.com:\n    hits: 15\n    scale: 1.0\n    window: 60\n';
    expect(dumpPyYaml(parseDomainConfig(text))).toBe(text);
  });

  it('refuses nodes that are not a domain config', () => {
    expect(() => parseDomainConfig('domains: [a, b]\n')).toThrow(/not a mapping/);
    expect(() => parseDomainConfig('blacklist: {a: 1}\n')).toThrow(/not a list/);
    expect(() => parseDomainConfig('- a\n- b\n')).toThrow(/not a mapping/);
    expect(() => parseDomainConfig('domains: {a: [\n')).toThrow(/not YAML/);
    expect(parseDomainConfig('')).toEqual({ domains: {}, blacklist: [] });
  });
});

describe('updateDomainConfig', () => {
  it('re-applies a change on a version conflict so no writer loses its change', async () => {
    const node = new MemoryConfigNode('/sc/all', 'blacklist: []\ndomains: {}\n');
    const write = node.write.bind(node);
    let sneaked = false;
    node.write = async (text, version) => {
      if (!sneaked) {
        sneaked = true;
        await write('blacklist:\n- other.com\ndomains: {}\n', node.version);
      }
      return write(text, version);
    };
    const result = await updateDomainConfig(node, (c) => void c.blacklist.push('mine.com'));
    expect(result).toMatchObject({ ok: true, attempts: 2 });
    expect(node.text).toBe('blacklist:\n- other.com\n- mine.com\ndomains: {}\n');
  });

  it('never overwrites an unreadable or invalid node', async () => {
    const node = new MemoryConfigNode('/sc/all', 'domains: [oops]\n');
    expect(await updateDomainConfig(node, () => undefined)).toMatchObject({ ok: false, error: LOAD_ERROR });
    expect(node.text).toBe('domains: [oops]\n');
    node.failReads = true;
    expect(await updateDomainConfig(node, () => undefined)).toMatchObject({ ok: false, error: LOAD_ERROR });
  });
});

describe('ZookeeperMonitor', () => {
  class RecordingBus extends MemoryBus {
    readonly sent: Record<string, unknown>[] = [];
    override async send(_topic: string, messages: Outgoing[]): Promise<void> {
      for (const m of messages)
        this.sent.push(JSON.parse(typeof m === 'string' ? m : m.value) as Record<string, unknown>);
    }
  }

  async function setup(node: MemoryConfigNode) {
    const settings = resolveSettings('redis-monitor', { env: {}, overrides: { STATS_DUMP: 0 } });
    const store = new MemoryStore();
    const bus = new RecordingBus();
    const { logger, lines } = captureLogger('redis-monitor');
    const plugin = new ZookeeperMonitor({ node });
    plugin.clock = () => 1464402128.9;
    const monitor = await RedisMonitor.create({
      settings,
      store,
      bus,
      logger,
      builtIns: { ZookeeperMonitor: plugin },
    });
    const run = async (action: string, domain: string, value: Record<string, unknown>) => {
      await store.set(`zk:${action}:${domain}:madisonTest`, JSON.stringify({ domain, ...value }));
      await monitor.runOnce();
      return bus.sent.at(-1);
    };
    return { monitor, store, bus, lines, run };
  }

  it('updates and removes domains and the blacklist, writing the original YAML', async () => {
    const node = new MemoryConfigNode();
    const { run, monitor } = await setup(node);
    expect(
      await run('domain-update', 'cnn.com', { uuid: 'abc123', hits: 15, window: 60, scale: 0.9 }),
    ).toEqual({
      uuid: 'abc123',
      server_time: 1464402128,
      action: 'domain-update',
      domain: 'cnn.com',
      appid: 'madisonTest',
    });
    await run('domain-update', 'dmoztools.net', { uuid: 'u2', hits: 60, window: 60, scale: 1 });
    expect(node.text).toBe(
      'blacklist: []\ndomains:\n  cnn.com:\n    hits: 15\n    scale: 0.9\n    window: 60\n' +
        '  dmoztools.net:\n    hits: 60\n    scale: 1.0\n    window: 60\n',
    );
    await run('domain-remove', 'cnn.com', { uuid: 'u3' });
    await run('domain-remove', 'dmoztools.net', { uuid: 'u4' });
    expect(node.text).toBe('blacklist: []\ndomains: {}\n');
    await run('blacklist-update', 'bingo.com', { uuid: 'u5' });
    await run('blacklist-update', 'bingo.com', { uuid: 'u6' });
    expect(node.text).toBe('blacklist:\n- bingo.com\ndomains: {}\n');
    expect(await run('blacklist-remove', 'bingo.com', { uuid: 'u7' })).toMatchObject({
      action: 'blacklist-remove',
      uuid: 'u7',
    });
    expect(node.text).toBe('blacklist: []\ndomains: {}\n');
    await monitor.close();
  });

  it('replies with an error and leaves the node alone when it cannot be read or written', async () => {
    const node = new MemoryConfigNode('/scrapy-cluster/crawler/all', 'blacklist: []\ndomains: {}\n');
    const { run, lines, monitor } = await setup(node);
    node.failReads = true;
    expect(await run('blacklist-update', 'a.com', { uuid: 'u1' })).toEqual({
      uuid: 'u1',
      server_time: 1464402128,
      action: 'blacklist-update',
      domain: 'a.com',
      appid: 'madisonTest',
      error: LOAD_ERROR,
    });
    node.failReads = false;
    node.failWrites = true;
    expect(await run('blacklist-update', 'a.com', { uuid: 'u2' })).toMatchObject({ error: STORE_ERROR });
    expect(node.text).toBe('blacklist: []\ndomains: {}\n');
    expect(lines.filter((l) => l.level === 'ERROR').map((l) => l.message)).toEqual([LOAD_ERROR, STORE_ERROR]);
    await monitor.close();
  });

  it('drops a request whose value is not JSON without retrying it', async () => {
    const node = new MemoryConfigNode();
    const { store, monitor, bus } = await setup(node);
    await store.set('zk:domain-update:a.com:app', 'not json');
    await monitor.runOnce();
    expect(await store.exists('zk:domain-update:a.com:app')).toBe(false);
    expect(bus.sent).toEqual([]);
    expect(node.text).toBeNull();
    await monitor.close();
  });
});
