import type { Command } from 'commander';
import { addCommonOptions, type CommonOptions } from '../common-options.js';
import { openBus, openRuntime, openStore, untilStopped } from '../runtime.js';

/** `scrapy-cluster rest` (the original's rest_service.py). */
export function registerRestCommand(program: Command): void {
  addCommonOptions(
    program
      .command('rest')
      .description('serve the REST gateway (index, feed, poll) on FLASK_PORT and REST_BIND'),
  ).action(async (options: CommonOptions) => {
    const { RestService } = await import('../../rest/service.js');
    const { settings, logger } = await openRuntime('rest', options);
    const service = new RestService({
      settings,
      logger,
      connectStore: () => openStore(settings, 'rest', logger),
      connectBus: () => openBus(settings, 'rest', settings.KAFKA_FEED_TIMEOUT),
    });
    service.start();
    try {
      await service.listen();
    } catch (err) {
      await service.close();
      logger.close();
      throw err;
    }
    await untilStopped();
    await service.close();
    logger.close();
  });
}
