import { ClusterError } from '../../src/core/errors.js';
import { kafkaAnswers } from './kafka.js';
import { parseHostPort } from './ports.js';
import { isRunning, logTail, sleep } from './process.js';
import { redisAnswers } from './redis.js';
import type { ServiceName, ServiceRecord } from './state.js';
import { zookeeperAnswers } from './zookeeper.js';

function probe(name: ServiceName, port: number): Promise<boolean> {
  switch (name) {
    case 'redis':
      return redisAnswers('127.0.0.1', port);
    case 'zookeeper':
      return zookeeperAnswers('127.0.0.1', port);
    case 'kafka':
      return kafkaAnswers(`127.0.0.1:${port}`);
  }
}

/** Waits for a server the harness started; fails at once, with its log, if it exits meanwhile. */
export async function waitManaged(name: ServiceName, rec: ServiceRecord, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const log = rec.launch.logFile;
  for (;;) {
    if (await probe(name, rec.port)) return;
    if (!isRunning(rec.pid, rec.marker)) {
      throw new ClusterError('SC_SERVICES', `${name} exited during start-up; log ${log}:\n${logTail(log)}`);
    }
    if (Date.now() > deadline) {
      throw new ClusterError(
        'SC_SERVICES',
        `${name} on 127.0.0.1:${rec.port} did not answer within ${timeoutMs / 1000} s; log ${log}:\n${logTail(log)}`,
      );
    }
    await sleep(150);
  }
}

/** The servers named by the environment, with the check that they answer. */
export const externalProbes = {
  redis: (host: string, port: number) => ({
    what: 'Redis',
    setting: `REDIS_HOST=${host} REDIS_PORT=${port}`,
    answers: () => redisAnswers(host, port),
  }),
  zookeeper: (connect: string) => ({
    what: 'ZooKeeper',
    setting: `ZOOKEEPER_HOSTS=${connect}`,
    answers: () => anyZookeeperAnswers(connect),
  }),
  kafka: (hosts: string) => ({
    what: 'Kafka',
    setting: `KAFKA_HOSTS=${hosts}`,
    answers: () => kafkaAnswers(hosts),
  }),
};

/** Waits for a server named by the environment; the error names the setting to fix. */
export async function waitExternal(
  probe: { what: string; setting: string; answers: () => Promise<boolean> },
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe.answers())) {
    if (Date.now() > deadline) {
      throw new ClusterError(
        'SC_SERVICES',
        `${probe.setting} is set, but no ${probe.what} server answered there within ${timeoutMs / 1000} s ` +
          '(unset it to let the harness start one)',
      );
    }
    await sleep(500);
  }
}

/** ZOOKEEPER_HOSTS is a connect string (`h1:2181,h2:2181/chroot`); one live server is enough. */
async function anyZookeeperAnswers(connect: string): Promise<boolean> {
  const servers = connect.split('/')[0]!.split(',').filter(Boolean);
  const answers = await Promise.all(
    servers.map((server) => {
      const { host, port } = parseHostPort(server, 2181);
      return zookeeperAnswers(host, port);
    }),
  );
  return answers.some(Boolean);
}
