import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { LaunchSpec } from './process.js';
import { tcpExchange } from './ports.js';
import { REDIS_SERVER } from './provision.js';

/** The major version of `command` (`Redis server v=7.0.15 ...`), or 0 when it cannot be told. */
function redisMajorVersion(command: string): number {
  const out = spawnSync(command, ['--version'], { encoding: 'utf8' });
  const match = /v=(\d+)\./.exec(out.stdout ?? '');
  return match ? Number(match[1]) : 0;
}

/**
 * Foreground (we track the pid), loopback only, no periodic snapshots, and an append-only file fsynced every
 * second: what "no request lost" needs in production (docs/reliability.md), so a crash (SIGKILL) mid-test
 * loses at most the last second of writes instead of bringing back an old snapshot. The data dir is fresh per
 * stack, so every run starts empty; a restart loads the AOF. A stop (SIGTERM) also writes `dump.rdb`
 * (`force`: a failed save, the data dir already removed, must not keep the server from exiting; Redis 7).
 */
export function redisLaunch(port: number, dataDir: string): LaunchSpec {
  const saveOnStop = redisMajorVersion(REDIS_SERVER) >= 7 ? ['--shutdown-on-sigterm', 'save force'] : [];
  return {
    command: REDIS_SERVER,
    args: [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
      '--daemonize',
      'no',
      '--dir',
      dataDir,
      '--dbfilename',
      'dump.rdb',
      ...saveOnStop,
      '--logfile',
      '',
    ],
    cwd: dataDir,
    logFile: join(dataDir, 'redis.log'),
  };
}

/** True when a Redis server answers PING (a NOAUTH error still proves it is up). */
export async function redisAnswers(host: string, port: number): Promise<boolean> {
  try {
    const reply = await tcpExchange(host, port, 'PING\r\n', { complete: (text) => text.includes('\r\n') });
    return reply.startsWith('+PONG') || reply.startsWith('-NOAUTH');
  } catch {
    return false;
  }
}
