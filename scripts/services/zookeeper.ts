import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LaunchSpec } from './process.js';
import { tcpExchange } from './ports.js';
import { ZOOKEEPER_JAR } from './provision.js';

/**
 * Debian's zookeeper.jar names its dependencies (netty, jute, slf4j-api, ...) in its manifest Class-Path;
 * only an slf4j binding is missing, and slf4j-simple (same Debian package as slf4j-api) lets us log WARN
 * and above to the log file.
 */
const CLASSPATH = [ZOOKEEPER_JAR, '/usr/share/java/slf4j-simple.jar'].join(':');

/** Writes a private standalone config and returns how to run ZooKeeper on it. */
export function zookeeperLaunch(port: number, dataDir: string): LaunchSpec {
  const cfg = join(dataDir, 'zoo.cfg');
  writeFileSync(
    cfg,
    [
      'tickTime=2000',
      `clientPort=${port}`,
      'clientPortAddress=127.0.0.1',
      `dataDir=${join(dataDir, 'data')}`,
      'admin.enableServer=false',
      '4lw.commands.whitelist=ruok,srvr,stat',
      // Tests open many sessions from one address; the default cap of 60 would refuse some.
      'maxClientCnxns=0',
      '',
    ].join('\n'),
  );
  return {
    command: 'java',
    args: [
      '-Xmx256m',
      '-XX:+UseSerialGC',
      '-XX:TieredStopAtLevel=1',
      '-Djava.awt.headless=true',
      // Test data need not survive a power cut; skipping fsync makes every write much faster.
      '-Dzookeeper.forceSync=no',
      '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
      '-cp',
      CLASSPATH,
      'org.apache.zookeeper.server.ZooKeeperServerMain',
      cfg,
    ],
    cwd: dataDir,
    logFile: join(dataDir, 'zookeeper.log'),
  };
}

/**
 * True when a server answers the `ruok` four-letter word. A server that has `ruok` off its whitelist
 * (ZooKeeper 3.5+ default for external servers) still proves it is up by saying so.
 */
export async function zookeeperAnswers(host: string, port: number): Promise<boolean> {
  try {
    const reply = await tcpExchange(host, port, 'ruok');
    return reply === 'imok' || reply.includes('not in the whitelist');
  } catch {
    return false;
  }
}
