/**
 * ZookeeperWatcher and the config pusher against the real ZooKeeper of the harness. Everything ZooKeeper
 * related lives in this one file so that the server restarts at the end never hit another test of ours.
 * A small TCP proxy in front of the server simulates what a restart cannot: a partition long enough to
 * expire the session, and a half-open connection that silently stops answering.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ZookeeperWatcher,
  closeZookeeper,
  connectZookeeper,
  createNode,
  exists,
  getData,
  pushConfig,
  setData,
  type ZookeeperClient,
  type ZookeeperWatcherOptions,
} from '../../src/core/zookeeper/index.js';
import { registerZookeeperCommands } from '../../src/cli/commands/zookeeper.js';
import { canControl, restartZookeeper, servicesEnv } from '../support/services.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let hosts: string;
const watchers: ZookeeperWatcher[] = [];

beforeAll(() => {
  hosts = servicesEnv().ZOOKEEPER_HOSTS;
});

afterEach(async () => {
  await Promise.all(watchers.splice(0).map((w) => w.close()));
});

/** A fresh node path per test, so tests never see each other's data. */
function unique(name: string): string {
  return `/sc-test-${randomUUID().slice(0, 8)}/${name}`;
}

/** Runs `fn` on a client of its own, so writes never depend on the watcher's connection. */
async function withClient<T>(fn: (client: ZookeeperClient) => Promise<T>): Promise<T> {
  const client = await connectZookeeper(hosts, 20_000);
  try {
    return await fn(client);
  } finally {
    await closeZookeeper(client);
  }
}

async function write(path: string, contents: string): Promise<void> {
  await withClient(async (client) => {
    if ((await exists(client, path)) === undefined)
      await createNode(client, path, contents, { parents: true });
    else await setData(client, path, contents);
  });
}

async function read(path: string): Promise<string | undefined> {
  return withClient(async (client) =>
    (await exists(client, path)) === undefined ? undefined : (await getData(client, path)).text,
  );
}

async function remove(path: string): Promise<void> {
  await withClient(
    (client) =>
      new Promise<void>((resolve, reject) =>
        client.remove(path, (err: unknown) =>
          err ? reject(err instanceof Error ? err : new Error('remove failed')) : resolve(),
        ),
      ),
  );
}

interface Recorder {
  configs: string[];
  valid: boolean[];
  errors: string[];
  /** Milliseconds since the recorder was made, per event, e.g. `valid:false@1234`. */
  timeline: string[];
  handlers: Pick<ZookeeperWatcherOptions, 'configHandler' | 'validHandler' | 'errorHandler'>;
  at(event: string): number | undefined;
}

function recorder(): Recorder {
  const started = Date.now();
  const rec: Recorder = {
    configs: [],
    valid: [],
    errors: [],
    timeline: [],
    handlers: {
      configHandler: (c) => {
        rec.configs.push(c);
        rec.timeline.push(`config:${c}@${Date.now() - started}`);
      },
      validHandler: (v) => {
        rec.valid.push(v);
        rec.timeline.push(`valid:${v}@${Date.now() - started}`);
      },
      errorHandler: (m) => {
        rec.errors.push(m);
        rec.timeline.push(`error:${m}@${Date.now() - started}`);
      },
    },
    at: (event) => {
      const hits = rec.timeline.filter((e) => e.startsWith(`${event}@`));
      const last = hits[hits.length - 1];
      return last === undefined ? undefined : Number(last.slice(last.lastIndexOf('@') + 1));
    },
  };
  return rec;
}

async function start(options: ZookeeperWatcherOptions): Promise<ZookeeperWatcher> {
  const watcher = await ZookeeperWatcher.start(options);
  watchers.push(watcher);
  return watcher;
}

/** Waits long enough that a spurious second report would have arrived. */
const settle = () => sleep(700);

describe('ZookeeperWatcher: plain file', () => {
  it('reports the initial contents and each later change exactly once', async () => {
    const path = unique('myconfig');
    await write(path, 'first contents');
    const rec = recorder();
    const watcher = await start({ hosts, filepath: path, ...rec.handlers });

    expect(rec.configs).toEqual(['first contents']);
    expect(rec.valid).toEqual([true]);
    expect(watcher.isValid()).toBe(true);
    expect(watcher.getFileContents()).toBe('first contents');
    expect(await watcher.ping()).toBe(true);

    for (const next of ['second', 'third', 'fourth']) {
      await write(path, next);
      await expect.poll(() => rec.configs.at(-1)).toBe(next);
    }
    await settle();
    expect(rec.configs).toEqual(['first contents', 'second', 'third', 'fourth']);

    // A write of identical bytes bumps the version and fires the watch, but is no change.
    await write(path, 'fourth');
    await settle();
    expect(rec.configs).toHaveLength(4);
    expect(rec.valid).toEqual([true]);
    expect(rec.errors).toEqual([]);
  });

  it('coalesces a burst of writes without ever reporting one twice', async () => {
    const path = unique('burst');
    await write(path, 'v0');
    const rec = recorder();
    await start({ hosts, filepath: path, ...rec.handlers });
    await withClient(async (client) => {
      for (let i = 1; i <= 20; i++) await setData(client, path, `v${i}`);
    });
    await expect.poll(() => rec.configs.at(-1)).toBe('v20');
    await settle();
    const numbers = rec.configs.map((c) => Number(c.slice(1)));
    expect(numbers[0]).toBe(0);
    // Strictly increasing: in order, and no value reported twice.
    for (let i = 1; i < numbers.length; i++) expect(numbers[i]!).toBeGreaterThan(numbers[i - 1]!);
  });

  it('with ensure, creates a missing node and its parents (empty, not reported)', async () => {
    const path = `${unique('deep')}/er/node`;
    const rec = recorder();
    const watcher = await start({ hosts, filepath: path, ensure: true, ...rec.handlers });
    expect(await read(path)).toBe('');
    expect(watcher.isValid()).toBe(true);
    expect(rec.configs).toEqual([]);
    expect(rec.valid).toEqual([true]);

    await write(path, 'now set');
    await expect.poll(() => rec.configs).toEqual(['now set']);

    // Deleted later: created again, empty, and that is a change ("config wiped" for a crawler).
    await remove(path);
    await expect.poll(() => rec.configs).toEqual(['now set', '']);
    expect(await read(path)).toBe('');
    expect(watcher.isValid()).toBe(true);
  });

  it('without ensure, is invalid while the node is missing and picks it up once created', async () => {
    const path = unique('late');
    const rec = recorder();
    const watcher = await start({ hosts, filepath: path, ...rec.handlers });
    expect(watcher.isValid()).toBe(false);
    expect(rec.errors).toEqual([`Invalid get on file path ${path}: the node does not exist`]);
    expect(await read(path)).toBeUndefined();

    await write(path, 'arrived');
    await expect.poll(() => watcher.isValid()).toBe(true);
    expect(rec.configs).toEqual(['arrived']);
    expect(rec.valid).toEqual([true]);

    // Deleted: invalid, contents kept; re-created with the same contents: valid, nothing reported.
    await remove(path);
    await expect.poll(() => watcher.isValid()).toBe(false);
    expect(watcher.getFileContents()).toBe('arrived');
    await write(path, 'arrived');
    await expect.poll(() => watcher.isValid()).toBe(true);
    await settle();
    expect(rec.configs).toEqual(['arrived']);
    expect(rec.valid).toEqual([true, false, true]);
  });

  it('survives throwing handlers and reports them through the error handler', async () => {
    const path = unique('throwing');
    await write(path, 'one');
    const errors: string[] = [];
    const seen: string[] = [];
    const watcher = await start({
      hosts,
      filepath: path,
      configHandler: (c) => {
        seen.push(c);
        throw new Error(`cannot use ${c}`);
      },
      validHandler: () => {
        throw new Error('valid handler broke');
      },
      errorHandler: (m) => {
        errors.push(m);
        throw new Error('even the error handler broke');
      },
    });
    await write(path, 'two');
    await expect.poll(() => seen).toEqual(['one', 'two']);
    expect(watcher.isValid()).toBe(true);
    expect(errors).toEqual([
      'configHandler failed: cannot use one',
      'validHandler failed: valid handler broke',
      'configHandler failed: cannot use two',
    ]);
  });

  it('close() stops everything: not valid, ping false, no more reports', async () => {
    const path = unique('closing');
    await write(path, 'a');
    const rec = recorder();
    const watcher = await start({ hosts, filepath: path, ...rec.handlers });
    await watcher.close();
    expect(watcher.isValid()).toBe(false);
    expect(await watcher.ping()).toBe(false);
    await write(path, 'b');
    await settle();
    expect(rec.configs).toEqual(['a']);
    expect(watcher.getFileContents()).toBe('a');
  });
});

describe('ZookeeperWatcher: pointer mode (the walkthrough of the original docs)', () => {
  it('follows changes of the pointed-at file and of the pointer', async () => {
    const base = unique('bank');
    const config1 = `${base}/configs/first`;
    const config2 = `${base}/configs/second`;
    const pointer = `${base}/pointers/p1`;
    await write(config1, 'alpha: 1');
    await write(config2, 'beta: 2');
    await write(pointer, `${config1}\n`); // the trailing newline the original choked on

    const rec = recorder();
    const watcher = await start({ hosts, filepath: pointer, pointer: true, ensure: true, ...rec.handlers });
    expect(rec.configs).toEqual(['alpha: 1']);
    expect(rec.valid).toEqual([true]);
    expect(watcher.getFileContents()).toBe('alpha: 1');
    expect(watcher.getFileContents(true)).toBe(config1);

    await write(config1, 'alpha: 11');
    await expect.poll(() => rec.configs).toEqual(['alpha: 1', 'alpha: 11']);

    // Re-point: the new file's contents are reported, the old file no longer matters.
    await write(pointer, config2);
    await expect.poll(() => rec.configs).toEqual(['alpha: 1', 'alpha: 11', 'beta: 2']);
    expect(watcher.getFileContents(true)).toBe(config2);
    await write(config2, 'beta: 22');
    await expect.poll(() => rec.configs.at(-1)).toBe('beta: 22');
    await write(config1, 'alpha: 111');
    await settle();
    expect(rec.configs).toEqual(['alpha: 1', 'alpha: 11', 'beta: 2', 'beta: 22']);

    // An empty pointer is invalid; the last contents stay available.
    await write(pointer, '  \n');
    await expect.poll(() => watcher.isValid()).toBe(false);
    expect(rec.errors).toEqual(['Invalid pointer path']);
    expect(watcher.getFileContents()).toBe('beta: 22');

    // Pointing back at the same contents: valid again, nothing to report.
    await write(pointer, config2);
    await expect.poll(() => watcher.isValid()).toBe(true);
    await settle();
    expect(rec.configs).toHaveLength(4);

    // Pointing at a node that does not exist yet: invalid until it appears.
    const config3 = `${base}/configs/third`;
    await write(pointer, config3);
    await expect.poll(() => watcher.isValid()).toBe(false);
    expect(rec.errors.at(-1)).toBe(`Invalid get on file path ${config3}: the node does not exist`);
    await write(config3, 'gamma: 3');
    await expect.poll(() => watcher.isValid()).toBe(true);
    expect(rec.configs.at(-1)).toBe('gamma: 3');
    expect(rec.valid).toEqual([true, false, true, false, true]);
  });

  it('with ensure creates an empty pointer node, which is invalid', async () => {
    const pointer = unique('pointer');
    const rec = recorder();
    const watcher = await start({ hosts, filepath: pointer, pointer: true, ensure: true, ...rec.handlers });
    expect(await read(pointer)).toBe('');
    expect(watcher.isValid()).toBe(false);
    expect(rec.errors).toEqual(['Invalid pointer path']);
  });
});

describe('pushConfig and `zookeeper push`', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zk-push-'));
  const file = join(dir, 'example.yml');

  it('creates, updates and wipes the config node, seen by a watcher', async () => {
    const base = unique('crawler');
    const yaml1 = 'domains:\n  example.com:\n    window: 60\n    hits: 10\n';
    const yaml2 = `${yaml1}blacklist:\n- bad.example\n`;
    writeFileSync(file, yaml1);

    expect(await pushConfig({ hosts, file, path: `${base}/`, id: 'all' })).toEqual({
      node: `${base}/all`,
      action: 'created',
      bytes: Buffer.byteLength(yaml1),
    });
    expect(await read(`${base}/all`)).toBe(yaml1);

    const rec = recorder();
    await start({ hosts, filepath: `${base}/all`, ...rec.handlers });
    expect(rec.configs).toEqual([yaml1]);

    writeFileSync(file, yaml2);
    expect(await pushConfig({ hosts, file, path: base, id: 'all' })).toMatchObject({ action: 'updated' });
    await expect.poll(() => rec.configs).toEqual([yaml1, yaml2]);

    expect(await pushConfig({ hosts, path: base, id: 'all', wipe: true })).toEqual({
      node: `${base}/all`,
      action: 'wiped',
      bytes: 0,
    });
    await expect.poll(() => rec.configs).toEqual([yaml1, yaml2, '']);
    expect(await read(`${base}/all`)).toBe('');
  });

  it('uses /scrapy-cluster/crawler/ by default and wipes a missing node into an empty one', async () => {
    const id = `spider-${randomUUID().slice(0, 8)}`;
    writeFileSync(file, 'blacklist: []\n');
    expect(await pushConfig({ hosts, file, id })).toMatchObject({
      node: `/scrapy-cluster/crawler/${id}`,
      action: 'created',
    });
    const wipedId = `${id}-w`;
    expect(await pushConfig({ hosts, id: wipedId, wipe: true })).toMatchObject({ action: 'wiped' });
    expect(await read(`/scrapy-cluster/crawler/${wipedId}`)).toBe('');
  });

  it('runs as `scrapy-cluster zookeeper push -f FILE -z HOSTS -p PATH -i ID`', async () => {
    const base = unique('cli');
    writeFileSync(file, 'domains: {}\n');
    const out: string[] = [];
    const program = new Command('scrapy-cluster').exitOverride();
    program.configureOutput({ writeOut: (s) => void out.push(s), writeErr: (s) => void out.push(s) });
    registerZookeeperCommands(program);
    for (const cmd of program.commands) {
      for (const sub of [cmd, ...cmd.commands]) sub.exitOverride().configureOutput(program.configureOutput());
    }
    await program.parseAsync(['zookeeper', 'push', '-f', file, '-z', hosts, '-p', `${base}/`, '-i', 'one'], {
      from: 'user',
    });
    await program.parseAsync(['zookeeper', 'push', '-z', hosts, '-p', `${base}/`, '-i', 'one', '--wipe'], {
      from: 'user',
    });
    expect(out).toEqual([`created config node ${base}/one (12 bytes)\n`, `wiped config node ${base}/one\n`]);
  });
});

/**
 * A TCP proxy between a watcher and ZooKeeper. `drop` closes every connection and refuses new ones
 * (a partition); `blackhole` keeps connections open but forwards nothing (a half-open link).
 */
class ZkProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  mode: 'forward' | 'drop' | 'blackhole' = 'forward';
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<void> {
    this.server = createServer((socket) => this.accept(socket));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
  }

  setMode(mode: ZkProxy['mode']): void {
    this.mode = mode;
    if (mode === 'forward') return;
    for (const socket of this.sockets) {
      if (mode === 'drop') socket.destroy();
      else this.silence(socket);
    }
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((r) => this.server?.close(r));
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
  }

  /** Keeps the client's side open and reads (discards) what it sends; the server side goes away. */
  private silence(socket: Socket): void {
    const upstream = (socket as Socket & { upstream?: Socket }).upstream;
    if (upstream) {
      socket.unpipe(upstream);
      upstream.unpipe(socket);
      upstream.destroy();
    }
    socket.resume();
  }

  private accept(socket: Socket): void {
    this.track(socket);
    if (this.mode === 'drop') {
      socket.destroy();
      return;
    }
    if (this.mode === 'blackhole') {
      socket.resume();
      return;
    }
    const upstream = connect(this.target);
    upstream.on('error', () => socket.destroy());
    upstream.on('close', () => {
      if (this.mode === 'forward') socket.destroy();
    });
    socket.on('close', () => upstream.destroy());
    (socket as Socket & { upstream?: Socket }).upstream = upstream;
    socket.pipe(upstream);
    upstream.pipe(socket);
  }
}

describe('ZookeeperWatcher: session loss (through a proxy)', () => {
  let proxy: ZkProxy;

  beforeAll(async () => {
    const [host, port] = hosts.split(',')[0]!.split('/')[0]!.split(':');
    proxy = new ZkProxy({ host: host!, port: Number(port) });
    await proxy.start();
  });

  afterAll(async () => {
    await proxy.close();
  });

  it('replaces an expired session and reports a change made meanwhile exactly once', async () => {
    const path = unique('expiry');
    await write(path, 'one');
    const rec = recorder();
    const watcher = await start({
      hosts: `127.0.0.1:${proxy.port}`,
      filepath: path,
      ...rec.handlers,
      sessionTimeoutMs: 4000, // the server's minimum (2 ticks)
      connectTimeoutMs: 30_000, // keep our watchdog out of it: the session must expire server-side
      checkIntervalMs: 0,
    });
    expect(rec.configs).toEqual(['one']);

    proxy.setMode('drop');
    await expect.poll(() => watcher.isValid()).toBe(false);
    await write(path, 'two');
    await sleep(8000); // > session timeout: the server expires the session
    proxy.setMode('forward');

    await expect.poll(() => watcher.isValid(), { timeout: 20_000 }).toBe(true);
    expect(rec.errors).toEqual([
      'Connection interrupted with Zookeeper, re-establishing',
      'Zookeeper session expired, re-establishing',
    ]);
    expect(rec.configs).toEqual(['one', 'two']);

    await write(path, 'three');
    await expect.poll(() => rec.configs).toEqual(['one', 'two', 'three']);
    await settle();
    expect(rec.configs).toEqual(['one', 'two', 'three']);
    expect(rec.valid).toEqual([true, false, true]);
    console.log(`[zookeeper] expiry timeline: ${rec.timeline.join(', ')}`);
  }, 60_000);

  it('detects a connection that silently stops answering, and recovers', async () => {
    const path = unique('stall');
    await write(path, 'before stall');
    const rec = recorder();
    const watcher = await start({
      hosts: `127.0.0.1:${proxy.port}`,
      filepath: path,
      ...rec.handlers,
      sessionTimeoutMs: 4000,
      requestTimeoutMs: 1000,
      checkIntervalMs: 500,
      connectTimeoutMs: 2000,
      maxBackoffMs: 500,
    });

    proxy.setMode('blackhole');
    await expect.poll(() => watcher.isValid(), { timeout: 10_000 }).toBe(false);
    expect(rec.errors[0]).toBe('Zookeeper did not answer within 1000 ms, re-establishing');
    await write(path, 'changed during stall');
    await sleep(3000); // replacement clients get stuck too and are replaced again
    proxy.setMode('forward');

    await expect.poll(() => watcher.isValid(), { timeout: 20_000 }).toBe(true);
    expect(rec.configs).toEqual(['before stall', 'changed during stall']);
    await write(path, 'after stall');
    await expect.poll(() => rec.configs.at(-1)).toBe('after stall');
    await settle();
    expect(rec.configs).toEqual(['before stall', 'changed during stall', 'after stall']);
    expect(rec.valid).toEqual([true, false, true]);
    console.log(`[zookeeper] stall timeline: ${rec.timeline.join(', ')}`);
  }, 60_000);
});

describe('ZookeeperWatcher: real ZooKeeper server restarts', () => {
  it('goes invalid, comes back valid, and reports only the change made after the restart', async (ctx) => {
    // Only a server the harness started can be restarted; one given in ZOOKEEPER_HOSTS is left alone.
    if (!canControl('zookeeper'))
      ctx.skip('ZooKeeper comes from ZOOKEEPER_HOSTS, so the harness cannot restart it');
    const path = unique('restart');
    await write(path, 'before restart');
    const rec = recorder();
    const watcher = await start({ hosts, filepath: path, ...rec.handlers });
    expect(rec.configs).toEqual(['before restart']);

    const began = Date.now();
    await restartZookeeper({ downMs: 1000 });
    const serverBack = Date.now() - began;
    await expect.poll(() => rec.valid, { timeout: 30_000 }).toEqual([true, false, true]);
    const validAgain = Date.now() - began;
    await settle();
    expect(rec.configs).toEqual(['before restart']);
    expect(watcher.getFileContents()).toBe('before restart');
    expect(rec.errors).toContain('Connection interrupted with Zookeeper, re-establishing');

    await write(path, 'after restart');
    await expect.poll(() => rec.configs).toEqual(['before restart', 'after restart']);
    const reported = Date.now() - began;
    await settle();
    expect(rec.configs).toEqual(['before restart', 'after restart']);
    expect(await watcher.ping()).toBe(true);
    console.log(
      `[zookeeper] restart (down 1 s): server back after ${serverBack} ms, watcher valid after ${validAgain} ms, ` +
        `post-restart change reported after ${reported} ms; timeline: ${rec.timeline.join(', ')}`,
    );
  }, 120_000);

  it('rides out a longer outage and picks up a change made right as the server returns', async (ctx) => {
    // Only a server the harness started can be restarted; one given in ZOOKEEPER_HOSTS is left alone.
    if (!canControl('zookeeper'))
      ctx.skip('ZooKeeper comes from ZOOKEEPER_HOSTS, so the harness cannot restart it');
    const path = unique('outage');
    const pointer = unique('outage-pointer');
    await write(path, 'v1');
    await write(pointer, path);
    const plain = recorder();
    const pointed = recorder();
    const w1 = await start({ hosts, filepath: path, ...plain.handlers });
    const w2 = await start({ hosts, filepath: pointer, pointer: true, ...pointed.handlers });

    const began = Date.now();
    await restartZookeeper({ downMs: 6000 });
    const serverBack = Date.now() - began;
    await write(path, 'v2'); // likely before the watchers have reconnected
    await expect.poll(() => w1.isValid() && w2.isValid(), { timeout: 30_000 }).toBe(true);
    await expect.poll(() => plain.configs.at(-1)).toBe('v2');
    await expect.poll(() => pointed.configs.at(-1)).toBe('v2');
    const caughtUp = Date.now() - began;
    await settle();
    expect(plain.configs).toEqual(['v1', 'v2']);
    expect(pointed.configs).toEqual(['v1', 'v2']);
    expect(plain.valid).toEqual([true, false, true]);
    expect(pointed.valid).toEqual([true, false, true]);

    await write(path, 'v3');
    await expect.poll(() => [plain.configs.at(-1), pointed.configs.at(-1)]).toEqual(['v3', 'v3']);
    await settle();
    expect(plain.configs).toEqual(['v1', 'v2', 'v3']);
    expect(pointed.configs).toEqual(['v1', 'v2', 'v3']);
    console.log(
      `[zookeeper] restart (down 6 s): server back after ${serverBack} ms, both watchers caught up after ` +
        `${caughtUp} ms; timeline: ${plain.timeline.join(', ')}`,
    );
  }, 120_000);
});
