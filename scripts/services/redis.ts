import { join } from 'node:path';
import type { LaunchSpec } from './process.js';
import { tcpExchange } from './ports.js';
import { REDIS_SERVER } from './provision.js';

/** Foreground (we track the pid), loopback only, nothing persisted: tests want a clean server each run. */
export function redisLaunch(port: number, dataDir: string): LaunchSpec {
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
      'no',
      '--daemonize',
      'no',
      '--dir',
      dataDir,
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
