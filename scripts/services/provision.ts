import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { delimiter, join } from 'node:path';
import { ClusterError } from '../../src/core/errors.js';
import { REPO_ROOT } from './state.js';

export const REDIS_SERVER = '/usr/bin/redis-server';
export const ZOOKEEPER_JAR = '/usr/share/java/zookeeper.jar';

const KAFKA_POM = join(REPO_ROOT, 'scripts', 'services', 'kafka-pom.xml');
const KAFKA_CACHE = join(REPO_ROOT, '.cache', 'kafka');
export const KAFKA_LIBS = join(KAFKA_CACHE, 'libs');
/** Written after a complete download; holds the pom's hash so editing the pom refetches. */
const KAFKA_MARKER = join(KAFKA_CACHE, 'libs.complete');

export type Log = (line: string) => void;

export function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * Runs a command with its output on our stderr (stdout is kept for the settings lines), or, with
 * `quiet`, captured and shown only if it fails.
 */
function run(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; quiet?: boolean } = {},
): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['ignore', options.quiet ? 'pipe' : 2, options.quiet ? 'pipe' : 2],
      env: options.env ?? process.env,
    });
    const output: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => output.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk));
    child.once('error', (err) =>
      reject(new ClusterError('SC_SERVICES', `cannot run ${command}: ${err.message}`, { cause: err })),
    );
    child.once('close', (code, signal) => {
      const status = code ?? (signal ? 128 : 1);
      if (status !== 0 && output.length > 0) process.stderr.write(Buffer.concat(output));
      resolve(status);
    });
  });
}

/**
 * Installs the Debian packages behind the requested tools that are missing. Only as root with apt-get;
 * `apt-get update` runs only when the first install fails (a fresh machine has no package lists).
 */
export async function ensureDebianPackages(
  need: { redis: boolean; zookeeper: boolean; java: boolean; maven: boolean },
  log: Log,
): Promise<void> {
  const wanted: string[] = [];
  if (need.redis && !existsSync(REDIS_SERVER)) wanted.push('redis-server');
  if (need.zookeeper && !existsSync(ZOOKEEPER_JAR)) wanted.push('zookeeper');
  if (need.java && !onPath('java') && !wanted.includes('zookeeper')) wanted.push('default-jre-headless');
  if (need.maven && !onPath('mvn')) wanted.push('maven');
  if (wanted.length === 0) return;

  if (process.getuid?.() !== 0 || !onPath('apt-get')) {
    throw new ClusterError(
      'SC_SERVICES',
      `missing ${wanted.join(', ')}; install them (Debian: apt-get install -y ${wanted.join(' ')}) or set REDIS_HOST / KAFKA_HOSTS / ZOOKEEPER_HOSTS to running servers`,
    );
  }
  // RUNLEVEL=1 stops the packages' maintainer scripts from starting system-wide daemons we do not use.
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive', RUNLEVEL: '1' };
  const install = ['install', '-y', '--no-install-recommends', ...wanted];
  log(`installing ${wanted.join(', ')} with apt-get`);
  if ((await run('apt-get', install, { env })) === 0) return;
  log('apt-get install failed; running apt-get update and retrying');
  if ((await run('apt-get', ['update'], { env })) !== 0)
    throw new ClusterError('SC_SERVICES', 'apt-get update failed');
  if ((await run('apt-get', install, { env })) !== 0) {
    throw new ClusterError('SC_SERVICES', `apt-get install ${wanted.join(' ')} failed`);
  }
}

/**
 * Fetches the Kafka broker jars from Maven Central into .cache/kafka/libs once. The download goes to a
 * scratch directory that is renamed into place, and the marker is written last, so an interrupted
 * download is simply redone.
 */
export async function ensureKafkaJars(log: Log): Promise<string> {
  const pomHash = createHash('sha256').update(readFileSync(KAFKA_POM)).digest('hex');
  if (existsSync(KAFKA_LIBS) && readMarker() === pomHash) return KAFKA_LIBS;

  const scratch = `${KAFKA_LIBS}.${process.pid}.tmp`;
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(KAFKA_CACHE, { recursive: true });
  log('downloading Kafka jars from Maven Central into .cache/kafka (once)');
  const started = Date.now();
  const code = await run(
    'mvn',
    [
      '-q',
      '-B',
      '-Dstyle.color=never',
      '-f',
      KAFKA_POM,
      'dependency:copy-dependencies',
      `-DoutputDirectory=${scratch}`,
    ],
    { quiet: true },
  );
  if (code !== 0 || !hasKafkaJar(scratch)) {
    rmSync(scratch, { recursive: true, force: true });
    throw new ClusterError('SC_SERVICES', `downloading the Kafka jars with Maven failed (exit ${code})`);
  }
  rmSync(KAFKA_LIBS, { recursive: true, force: true });
  renameSync(scratch, KAFKA_LIBS);
  writeFileSync(KAFKA_MARKER, pomHash);
  log(`Kafka jars ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return KAFKA_LIBS;
}

function hasKafkaJar(dir: string): boolean {
  return existsSync(dir) && readdirSync(dir).some((name) => name.startsWith('kafka_2.13-'));
}

function readMarker(): string {
  try {
    return readFileSync(KAFKA_MARKER, 'utf8').trim();
  } catch {
    return '';
  }
}

export const CHROMIUM = '/usr/bin/chromium';

/**
 * Debian's Chromium for the dashboard's browser test, installed with apt-get where missing (as root).
 * Throws with the reason when it cannot be had, so the browser test fails rather than passing unseen.
 */
export async function ensureChromium(log: Log): Promise<string> {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  if (process.getuid?.() !== 0 || !onPath('apt-get')) {
    throw new ClusterError(
      'SC_SERVICES',
      `Chromium is missing at ${CHROMIUM} and cannot be installed here (needs root and apt-get): apt-get install -y chromium`,
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive', RUNLEVEL: '1' };
  const install = ['install', '-y', '--no-install-recommends', 'chromium'];
  log('installing chromium with apt-get');
  if ((await run('apt-get', install, { env, quiet: true })) !== 0) {
    log('apt-get install failed; running apt-get update and retrying');
    if ((await run('apt-get', ['update'], { env, quiet: true })) !== 0)
      throw new ClusterError('SC_SERVICES', 'apt-get update failed, so Chromium cannot be installed');
    if ((await run('apt-get', install, { env, quiet: true })) !== 0)
      throw new ClusterError('SC_SERVICES', 'apt-get install chromium failed');
  }
  if (!existsSync(CHROMIUM))
    throw new ClusterError('SC_SERVICES', `apt-get installed chromium but ${CHROMIUM} is not there`);
  return CHROMIUM;
}
