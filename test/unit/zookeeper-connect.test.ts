import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BadInputError, ConnectionError } from '../../src/core/errors.js';
import { ZookeeperWatcher, connectZookeeper, pushConfig } from '../../src/core/zookeeper/index.js';
import { registerZookeeperCommands } from '../../src/cli/commands/zookeeper.js';

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

/** Accepts connections and never answers: what a hung server or a half-open link looks like. */
let silent: Server;
const silentSockets = new Set<Socket>();
let silentPort = 0;

beforeAll(async () => {
  silent = createServer((socket) => {
    silentSockets.add(socket);
    socket.on('close', () => silentSockets.delete(socket));
    socket.on('error', () => undefined);
    socket.resume(); // read, so that the client's FIN is noticed
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  silentPort = (silent.address() as { port: number }).port;
});

afterAll(async () => {
  for (const s of silentSockets) s.destroy();
  await new Promise((r) => silent.close(r));
});

describe('connectZookeeper', () => {
  it('rejects with ConnectionError SC_ZOOKEEPER_UNREACHABLE when nothing listens', async () => {
    const port = await closedPort();
    const started = Date.now();
    const err = await connectZookeeper(`127.0.0.1:${port}`, 800).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).code).toBe('SC_ZOOKEEPER_UNREACHABLE');
    expect((err as Error).message).toBe(
      `Cannot reach ZooKeeper at 127.0.0.1:${port}: no session within 800 ms`,
    );
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('times out against a server that accepts but never answers, and lets go of the socket', async () => {
    const err = await connectZookeeper(`127.0.0.1:${silentPort}`, 500).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    await expect.poll(() => silentSockets.size, { timeout: 3000 }).toBe(0);
  });

  it('refuses empty hosts with BadInputError', async () => {
    await expect(connectZookeeper(' , ', 500)).rejects.toBeInstanceOf(BadInputError);
  });
});

describe('ZookeeperWatcher without a server', () => {
  it('refuses a malformed file path at construction', () => {
    for (const filepath of ['', 'relative', '/trailing/', '/a//b']) {
      expect(() => new ZookeeperWatcher({ hosts: '127.0.0.1:1', filepath })).toThrow(BadInputError);
    }
  });

  it('start() with validInit rejects with a clear ConnectionError', async () => {
    const port = await closedPort();
    const errors: string[] = [];
    const err = await ZookeeperWatcher.start({
      hosts: `127.0.0.1:${port}`,
      filepath: '/x',
      connectTimeoutMs: 600,
      errorHandler: (m) => void errors.push(m),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).code).toBe('SC_ZOOKEEPER_UNREACHABLE');
    expect((err as Error).message).toContain(`127.0.0.1:${port}`);
  });

  it('start() without validInit resolves invalid and keeps trying until closed', async () => {
    const port = await closedPort();
    const valid: boolean[] = [];
    const errors: string[] = [];
    const watcher = await ZookeeperWatcher.start({
      hosts: `127.0.0.1:${port}`,
      filepath: '/x',
      validInit: false,
      connectTimeoutMs: 400,
      maxBackoffMs: 200,
      validHandler: (v) => void valid.push(v),
      errorHandler: (m) => void errors.push(m),
    });
    try {
      expect(watcher.isValid()).toBe(false);
      expect(watcher.getFileContents()).toBe('');
      expect(await watcher.ping()).toBe(false);
      expect(errors[0]).toMatch(/^Cannot reach ZooKeeper at 127\.0\.0\.1:\d+: no session within 400 ms$/);
      // Replacement clients keep coming (watchdog + backoff); identical complaints are not repeated.
      await new Promise((r) => setTimeout(r, 1500));
      expect(errors.length).toBeLessThanOrEqual(2);
      expect(valid).toEqual([]);
    } finally {
      await watcher.close();
    }
    await watcher.close(); // idempotent
    expect(watcher.isValid()).toBe(false);
  });

  it('replaces a client stuck on a server that never answers', async () => {
    const errors: string[] = [];
    const watcher = await ZookeeperWatcher.start({
      hosts: `127.0.0.1:${silentPort}`,
      filepath: '/x',
      validInit: false,
      connectTimeoutMs: 300,
      maxBackoffMs: 100,
      errorHandler: (m) => void errors.push(m),
    });
    await new Promise((r) => setTimeout(r, 1200));
    await watcher.close();
    expect(errors.some((m) => m.startsWith('No session with ZooKeeper'))).toBe(true);
    await expect.poll(() => silentSockets.size, { timeout: 3000 }).toBe(0);
  });
});

describe('pushConfig input checks (before connecting)', () => {
  it('needs a file unless wiping', async () => {
    await expect(pushConfig({ hosts: '127.0.0.1:1' })).rejects.toThrow(
      'A config file is required unless wiping',
    );
  });

  it('reports an unreadable file as BadInputError', async () => {
    const err = await pushConfig({ hosts: '127.0.0.1:1', file: '/nonexistent/conf.yml' }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BadInputError);
    expect((err as Error).message).toMatch(/^Cannot read config file \/nonexistent\/conf\.yml: ENOENT/);
  });

  it('refuses a file larger than a node can hold', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zk-push-'));
    const file = join(dir, 'big.yml');
    writeFileSync(file, Buffer.alloc(1024 * 1024 + 1, 'a'));
    await expect(pushConfig({ hosts: '127.0.0.1:1', file })).rejects.toThrow(
      /a ZooKeeper node holds at most/,
    );
  });
});

describe('zookeeper push command', () => {
  function program(out: string[], err: string[]): Command {
    const cmd = new Command('scrapy-cluster').exitOverride();
    cmd.configureOutput({ writeOut: (s) => void out.push(s), writeErr: (s) => void err.push(s) });
    registerZookeeperCommands(cmd);
    for (const sub of cmd.commands) {
      sub.exitOverride().configureOutput(cmd.configureOutput());
      for (const leaf of sub.commands) leaf.exitOverride().configureOutput(cmd.configureOutput());
    }
    return cmd;
  }

  it('fails with one line and exit code 1 without -f or --wipe', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const thrown = await program(out, err)
      .parseAsync(['zookeeper', 'push', '-z', '127.0.0.1:1'], { from: 'user' })
      .catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(CommanderError);
    expect((thrown as CommanderError).exitCode).toBe(1);
    expect(err).toEqual(['error: option -f, --file <file> is required unless --wipe is given\n']);
  });

  it('fails with one line when ZooKeeper is unreachable', async () => {
    const port = await closedPort();
    const dir = mkdtempSync(join(tmpdir(), 'zk-push-'));
    const file = join(dir, 'conf.yml');
    writeFileSync(file, 'blacklist: []\n');
    const out: string[] = [];
    const err: string[] = [];
    const thrown = await program(out, err)
      .parseAsync(['zookeeper', 'push', '-f', file, '-z', `127.0.0.1:${port}`, '-t', '0.5'], { from: 'user' })
      .catch((e: unknown) => e);
    expect((thrown as CommanderError).exitCode).toBe(1);
    expect(err).toEqual([`error: Cannot reach ZooKeeper at 127.0.0.1:${port}: no session within 500 ms\n`]);
    expect(out).toEqual([]);
  });
});
