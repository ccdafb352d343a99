/**
 * `npm run services -- start|stop|status`: a local Redis, ZooKeeper and Kafka for development and tests.
 * Settings go to stdout (one `export NAME=value` per line, so `eval "$(npm run -s services -- start)"` works);
 * progress goes to stderr.
 */
import { isClusterError } from '../src/core/errors.js';
import { envLines, stackStatus, startServices, stopStack } from './services/stack.js';
import { CLI_STATE_FILE, SERVICE_NAMES } from './services/state.js';

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

async function start(): Promise<number> {
  const status = stackStatus(CLI_STATE_FILE);
  if (status) {
    const values = Object.values(status.alive);
    if (values.every((v) => v !== false)) {
      log(`services already running (${CLI_STATE_FILE}):`);
      console.log(envLines(status.state.env).join('\n'));
      return 0;
    }
    log('some recorded services are gone; stopping the rest and starting afresh');
    await stopStack(CLI_STATE_FILE);
  }
  const handle = await startServices({ stateFile: CLI_STATE_FILE, kind: 'cli', log });
  console.log(envLines(handle.env).join('\n'));
  return 0;
}

async function stop(): Promise<number> {
  const stopped = await stopStack(CLI_STATE_FILE);
  log(stopped.length > 0 ? `stopped ${stopped.join(', ')}` : 'nothing to stop');
  return 0;
}

function status(): number {
  const status = stackStatus(CLI_STATE_FILE);
  if (!status) {
    log('not running');
    return 1;
  }
  for (const name of SERVICE_NAMES) {
    const alive = status.alive[name];
    const rec = status.state.services[name];
    const what =
      alive === 'env'
        ? 'from environment'
        : alive
          ? `running (pid ${rec!.pid})`
          : `NOT running (pid ${rec!.pid})`;
    log(`${name}: ${what}`);
  }
  console.log(envLines(status.state.env).join('\n'));
  return Object.values(status.alive).includes(false) ? 1 : 0;
}

async function main(command: string | undefined): Promise<number> {
  switch (command) {
    case 'start':
      return start();
    case 'stop':
      return stop();
    case 'status':
      return status();
    default:
      log('usage: npm run services -- start|stop|status');
      return 2;
  }
}

main(process.argv[2]).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    log(
      isClusterError(err)
        ? `error: ${err.message}`
        : err instanceof Error
          ? (err.stack ?? err.message)
          : String(err),
    );
    process.exitCode = 1;
  },
);
