/**
 * The seed's Quick Start for the Kafka Monitor (2.2, "Typical Usage") with our command names, on the real
 * broker and Redis: `kafka-monitor run` as a child process, `kafka-monitor feed`, `kafkadump list` and
 * `kafkadump dump`, plus feed's failures. Runs the built CLI (`dist/`, which `npm test` builds first).
 *
 * Settings reach the children as environment variables only. The topic and group are unique to this
 * file, and the monitor writes into its own Redis database (REDIS_DB), so the crawl queue it fills
 * (`link:<domain>:queue`, the default spider) cannot meet another test's.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectStore, type Store } from '../../src/core/store/index.js';
import { waitFor } from '../support/capture-logger.js';
import { servicesEnv } from '../support/services.js';
import { killAll, spawnCli, type CliProcess } from '../support/cli-process.js';
import { TEST_REDIS_DBS } from '../support/redis-dbs.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/scrapy-cluster.js', import.meta.url));
const CLI_DB = TEST_REDIS_DBS.kafkaMonitorCli;
const id = `kmcli${randomUUID().slice(0, 8)}`;
const topic = `${id}.incoming`;

type Child = CliProcess;

const children: Child[] = [];

/** The settings as environment variables, over a minimal environment (no stray LOG_* of the caller). */
function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { REDIS_HOST, REDIS_PORT, KAFKA_HOSTS } = servicesEnv();
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    REDIS_HOST,
    REDIS_PORT: String(REDIS_PORT),
    REDIS_DB: String(CLI_DB),
    KAFKA_HOSTS,
    KAFKA_INCOMING_TOPIC: topic,
    KAFKA_GROUP: `${id}-group`,
    ...extra,
  };
}

function start(args: string[], env: NodeJS.ProcessEnv = cliEnv()): Child {
  return spawnCli([BIN, ...args], { cwd: REPO_ROOT, env, started: children });
}

/** Runs a command to completion; it must end by itself within `deadlineMs` (else it is killed and fails). */
async function run(args: string[], env?: NodeJS.ProcessEnv, deadlineMs = 30_000) {
  const child = start(args, env);
  const timer = setTimeout(() => child.process.kill('SIGKILL'), deadlineMs);
  const { code, signal } = await child.exited;
  clearTimeout(timer);
  expect(signal, `${args.join(' ')} had to be killed:\n${child.stdout()}${child.stderr()}`).toBeNull();
  return { code, stdout: child.stdout(), stderr: child.stderr() };
}

function waitForOutput(child: Child, pattern: RegExp, what: string, timeoutMs = 30_000): Promise<void> {
  return waitFor(
    () => pattern.test(child.stdout()),
    timeoutMs,
    `${what}; output so far:\n${child.stdout()}${child.stderr()}`,
  );
}

async function stop(child: Child) {
  child.process.kill('SIGINT');
  return child.exited;
}

let checker: Store;

beforeAll(async () => {
  if (!existsSync(fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url))))
    throw new Error('dist/ is missing: run `npm run build` first (`npm test` builds before running vitest)');
  const { REDIS_HOST, REDIS_PORT } = servicesEnv();
  checker = await connectStore({ REDIS_HOST, REDIS_PORT, REDIS_DB: CLI_DB }, 'km-cli-test');
});

afterEach(async () => {
  await killAll(children);
});

afterAll(async () => {
  await checker?.close();
});

describe('Kafka Monitor Quick Start (seed 2.2)', () => {
  it('run, feed, kafkadump list and kafkadump dump work as the seed describes', async () => {
    // Terminal 2: run the Kafka Monitor.
    const monitor = start(['kafka-monitor', 'run']);
    await waitForOutput(monitor, /Kafka Monitor started/, 'the monitor to start');

    // Terminal 3: feed an item.
    const crawl = { url: 'http://dmoztools.net', appid: 'testapp', crawlid: `ABC${id}` };
    const fed = await run(['kafka-monitor', 'feed', JSON.stringify(crawl)]);
    expect(fed.code).toBe(0);
    expect(fed.stdout).toContain(`Feeding JSON into ${topic}`);
    expect(fed.stdout).toContain('Successfully fed item to Kafka');

    // ...and the monitor says it was received.
    await waitForOutput(monitor, /INFO: Added crawl to Redis/, 'the monitor to add the crawl');
    const [member] = await checker.zrange('link:dmoztools.net:queue', 0, -1);
    expect(JSON.parse(member!)).toMatchObject({ ...crawl, spiderid: 'link', priority: 1 });

    // kafkadump list shows the topic.
    const listed = await run(['kafkadump', 'list']);
    expect(listed.code).toBe(0);
    expect(listed.stdout.split('\n')).toContain(`- ${topic}`);
    expect(listed.stdout.startsWith('Topics:\n')).toBe(true);

    // kafkadump dump -b prints the fed request as JSON until Ctrl-C, then the summary.
    const dump = start(['kafkadump', 'dump', '-t', topic, '-b']);
    await waitForOutput(dump, /\n/, 'the dumped record');
    const printed = dump.stdout().trim().split('\n');
    expect(printed).toHaveLength(1);
    expect(JSON.parse(printed[0]!)).toEqual(crawl);
    expect(await stop(dump)).toEqual({ code: 0, signal: null });
    const size = Buffer.byteLength(JSON.stringify(crawl));
    expect(dump.stderr()).toContain(
      `Num Records: 1, Total MBs: ${(size / 1048576).toFixed(3)}, kb per message: ${(size / 1024).toFixed(3)}`,
    );

    // Ctrl-C stops the monitor cleanly.
    expect(await stop(monitor)).toEqual({ code: 0, signal: null });
    expect(monitor.stdout()).toContain('Closing Kafka Monitor');
  });

  it('feed --file sends each valid line, reports every line, and exits 1 when any was refused', async () => {
    const fileTopic = `${id}.file`;
    const dir = mkdtempSync(join(tmpdir(), 'km-feed-'));
    const file = join(dir, 'seeds.jsonl');
    const good = (n: number) =>
      JSON.stringify({ url: `http://site${n}.test/`, appid: 'testapp', crawlid: `f${n}` });
    writeFileSync(
      file,
      [
        good(1),
        '',
        '{"url": "http://x.test",',
        good(2),
        JSON.stringify({ url: 'http://y.test/' }),
        good(3),
      ].join('\n') + '\n',
    );
    const fed = await run(
      ['kafka-monitor', 'feed', '--file', file],
      cliEnv({ KAFKA_INCOMING_TOPIC: fileTopic }),
    );
    expect(fed.code).toBe(1);
    const report = fed.stdout.split('\n').filter((l) => l.startsWith('line ') || /fed, /.test(l));
    expect(report.map((l) => l.replace(/: error: .*/, ': error'))).toEqual([
      'line 3: error',
      'line 5: error',
      'line 1: ok',
      'line 4: ok',
      'line 6: ok',
      '3 fed, 2 refused, 1 blank',
    ]);
    expect(report[0]).toMatch(/JSON failed to parse/);
    expect(report[1]).toMatch(/appid|crawlid/);
    const dump = start(['kafkadump', 'dump', '-t', fileTopic, '-b']);
    await waitFor(() => dump.stdout().trim().split('\n').length >= 3, 30_000, 'the three fed records');
    expect(
      dump
        .stdout()
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { crawlid: string }).crawlid),
    ).toEqual(['f1', 'f2', 'f3']);
    await stop(dump);
    rmSync(dir, { recursive: true, force: true });
  });

  it('feed rejects unparseable JSON with a one-line error and a non-zero exit', async () => {
    const result = await run(['kafka-monitor', 'feed', '{"url": "http://dmoztools.net", "appid":']);
    expect(result.code).not.toBe(0);
    const errors = result.stderr.trim().split('\n');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^scrapy-cluster: JSON failed to parse: /);
    expect(result.stdout).toContain('ERROR: JSON failed to parse');
    expect(result.stdout).not.toContain('Feeding JSON into');
  });

  it('feed refuses a request the Kafka Monitor would refuse, naming the field, with exit code 1', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [
        { url: 'not a url', appid: 'testapp', crawlid: 'abc' },
        'url: must be an absolute http(s) URL, got "not a url"',
      ],
      [
        { url: 'http://dmoztools.net', appid: 'testapp', crawlid: 'abc', maxdepth: 'x' },
        'maxdepth: must be an integer from 0 to 3, got "x"',
      ],
      [
        { url: 'http://dmoztools.net', appid: 'testapp', crawlid: 'abc', bogus: 1 },
        'bogus: is not a known field',
      ],
    ];
    for (const [request, error] of cases) {
      const result = await run(['kafka-monitor', 'feed', JSON.stringify(request)]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(error);
      expect(result.stdout).not.toContain('Feeding JSON into');
      expect(result.stdout).not.toContain('Successfully fed item to Kafka');
    }
  });

  it('feed gives up with a non-zero exit when Kafka does not answer within KAFKA_FEED_TIMEOUT', async () => {
    // A "broker" that accepts connections and never replies: only the feed timeout can end the wait.
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    try {
      const result = await run(
        ['kafka-monitor', 'feed', '{"url": "http://dmoztools.net", "appid": "testapp", "crawlid": "x"}'],
        cliEnv({ KAFKA_HOSTS: `127.0.0.1:${port}`, KAFKA_FEED_TIMEOUT: '2' }),
      );
      expect(result.code).not.toBe(0);
      expect(result.stdout).toContain('Failed to feed item into Kafka');
      expect(result.stdout).not.toContain('Successfully fed item to Kafka');
      const errors = result.stderr.trim().split('\n');
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/^scrapy-cluster: .*within 2 s/);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
