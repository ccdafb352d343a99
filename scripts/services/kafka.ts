import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, closeSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Admin } from '@platformatic/kafka';
import { ClusterError } from '../../src/core/errors.js';
import { logTail, type LaunchSpec } from './process.js';

/**
 * Single-node KRaft (broker and controller in one JVM). Everything that defaults to many partitions or
 * three replicas is cut to one, so the first consumer group and transaction start at once.
 */
function serverProperties(port: number, controllerPort: number, logDir: string): string {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${logDir}`,
    'num.partitions=1',
    'default.replication.factor=1',
    'auto.create.topics.enable=true',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'num.network.threads=2',
    'num.io.threads=2',
    'num.recovery.threads.per.data.dir=1',
    // The cleaner's default 128 MB dedupe buffer is a quarter of our heap.
    'log.cleaner.dedupe.buffer.size=16777216',
    '',
  ].join('\n');
}

function log4jConfig(file: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="error">
  <Appenders>
    <File name="file" fileName="${file}"><PatternLayout pattern="[%d] %p %m (%c)%n"/></File>
  </Appenders>
  <Loggers>
    <Root level="warn"><AppenderRef ref="file"/></Root>
  </Loggers>
</Configuration>
`;
}

/** Kafka's own rule for cluster ids: 16 random bytes, base64url, never the reserved ones nor a leading '-'. */
function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-') && id !== 'AAAAAAAAAAAAAAAAAAAAAA' && id !== 'AAAAAAAAAAAAAAAAAAAAAQ') return id;
  }
}

function javaArgs(libs: string, dataDir: string, heap: string[]): string[] {
  return [
    ...heap,
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${join(dataDir, 'log4j2.xml')}`,
    `-Dkafka.logs.dir=${dataDir}`,
    '-cp',
    join(libs, '*'),
  ];
}

/** Writes the config and log4j2 files and formats the storage (first start only). */
export async function prepareKafka(
  libs: string,
  port: number,
  controllerPort: number,
  dataDir: string,
): Promise<LaunchSpec> {
  const logDir = join(dataDir, 'data');
  const props = join(dataDir, 'server.properties');
  const logFile = join(dataDir, 'stdout.log');
  mkdirSync(logDir, { recursive: true });
  writeFileSync(props, serverProperties(port, controllerPort, logDir));
  writeFileSync(join(dataDir, 'log4j2.xml'), log4jConfig(join(dataDir, 'kafka.log')));

  if (!existsSync(join(logDir, 'meta.properties'))) {
    const args = [
      ...javaArgs(libs, dataDir, ['-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1']),
      'kafka.tools.StorageTool',
      'format',
      '-t',
      clusterId(),
      '-c',
      props,
    ];
    const out = openSync(logFile, 'a');
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn('java', args, { cwd: dataDir, stdio: ['ignore', out, out] });
      child.once('error', reject);
      child.once('exit', (c) => resolve(c ?? 1));
    }).finally(() => closeSync(out));
    if (code !== 0) {
      throw new ClusterError(
        'SC_SERVICES',
        `formatting Kafka storage failed (exit ${code}):\n${logTail(logFile)}`,
      );
    }
  }

  return {
    command: 'java',
    // C1-only JIT: the broker answers ~1 s sooner on two cores, and test traffic never needs C2's peak.
    args: [
      ...javaArgs(libs, dataDir, ['-Xmx512m', '-Xms256m', '-XX:TieredStopAtLevel=1']),
      'kafka.Kafka',
      props,
    ],
    cwd: dataDir,
    logFile,
  };
}

/** True when the brokers answer a metadata request that lists at least one live broker. */
export async function kafkaAnswers(hosts: string): Promise<boolean> {
  const admin = new Admin({
    clientId: 'services-probe',
    bootstrapBrokers: hosts.split(',').map((h) => h.trim()),
    retries: 0,
    timeout: 2000,
  });
  try {
    const metadata = await admin.metadata({ forceUpdate: true });
    return metadata.brokers.size > 0;
  } catch {
    return false;
  } finally {
    await admin.close().catch(() => undefined);
  }
}
