import type { Command } from 'commander';
import { addCommonOptions, type CommonOptions } from '../common-options.js';
import { openBus, openRuntime, openStore, untilStopped } from '../runtime.js';
import { ConnectionError, errorMessage } from '../../core/errors.js';
import type { Store } from '../../core/store/index.js';
import type { RedisMonitor } from '../../redis-monitor/monitor.js';

/** `scrapy-cluster redis-monitor [-s SETTINGS] [--log-*]` (the original's redis_monitor.py). */
export function registerRedisMonitorCommand(program: Command): void {
  addCommonOptions(
    program
      .command('redis-monitor')
      .description('answer info, stop, expire, stats and zookeeper jobs found in Redis'),
  ).action(async (options: CommonOptions) => {
    const { LazyBus } = await import('../../redis-monitor/lazy-bus.js');
    const { RedisMonitor } = await import('../../redis-monitor/monitor.js');
    const { settings, logger, baseDir } = await openRuntime('redis-monitor', options);
    let store: Store;
    try {
      store = await openStore(settings, 'redis-monitor', logger);
    } catch (err) {
      logger.close();
      throw new ConnectionError(
        'SC_REDIS_UNREACHABLE',
        `Failed to connect to Redis at ${settings.REDIS_HOST}:${settings.REDIS_PORT}: ${errorMessage(err).replace(/^Cannot reach Redis at \S+: /, '')}`,
        { cause: err },
      );
    }
    // Kafka may come later: replies wait (with back-off) until it answers.
    const bus = new LazyBus(() => openBus(settings, 'redis-monitor'));
    let monitor: RedisMonitor | undefined;
    try {
      monitor = await RedisMonitor.create({ settings, store, bus, logger, pluginDir: baseDir });
      monitor.start();
      await untilStopped();
    } finally {
      await monitor?.close();
      await bus.close();
      await store.close();
      logger.close();
    }
  });
}
